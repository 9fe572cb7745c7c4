"""The conformance kit: does a backend agree with a reference backend, and keep the contract?

Two ways in, sharing everything below them:

* :class:`BackendConformance`, the pytest base class a backend's suite subclasses (it needs
  ``pytest``, so it is imported only when first asked for);
* :func:`check` / :func:`check_property` / :func:`check_case`, plain functions that return
  :class:`PropertyReport` values or raise :class:`Mismatch` (``dspex parity`` uses them).

The package is layered so that data flows one way: ``_coverage`` (which module types the
kit has properties for) -> ``_cases`` and ``_evaluate_cases`` (what one run needs, drawn by
hypothesis; the agents', wrappers', optimizers' and retrievers' cases are ``_module_case``
values drawn by ``_mcc_cases``, ``_react_cases`` (with the tools of ``_react_tools``),
``_pot_cases``, ``_loop_cases``, ``_parallel_cases``, ``_lm_call_cases`` (the direct LM call),
``_optimizer_cases`` (with the LM of
``_optimizer_script``) and ``_retriever_cases`` (with the server of ``_colbert_server``),
gathered by ``_module_cases``) -> ``_outcome`` (one case run on one backend) -> ``_masks`` (the
documented differences a comparison leaves out) -> ``_properties`` (two outcomes compared; a
saved program by ``_json_paths``) -> ``_parity_runner`` (cases drawn and properties checked) -> ``_contract`` and
``_contract_runner`` (the contract every backend owes) and ``_coverage_report`` (what a run did
not check) -> ``_suite`` (``BackendConformance``).
"""

from __future__ import annotations

from typing import Any

from dspex_core.testing.conformance._coverage import KIT_MODULE_TYPES
from dspex_core.testing.conformance._coverage_report import ConformanceCoverageWarning
from dspex_core.testing.conformance._parity_runner import (
    Mismatch,
    PropertyReport,
    check,
    check_case,
    check_property,
)
from dspex_core.testing.conformance._properties import PROPERTIES, Difference

__all__ = ["BackendConformance", "check", "check_property", "check_case", "PropertyReport", "Difference",
           "Mismatch", "KIT_MODULE_TYPES", "PROPERTIES", "ConformanceCoverageWarning"]


def __getattr__(name: str) -> Any:
    if name == "BackendConformance":  # imports pytest: only when a suite asks for it
        from dspex_core.testing.conformance._suite import BackendConformance

        globals()["BackendConformance"] = BackendConformance
        return BackendConformance
    raise AttributeError(f"module 'dspex_core.testing.conformance' has no attribute {name!r}")
