"""``BackendConformance``: the test class a backend's suite subclasses to prove parity.

::

    # tests/test_conformance.py of your plugin
    from dspex_core.testing.conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mybackend"      # the name your plugin registers
        reference = "dspy"         # the default; any installed backend will do

Run it with ``pytest``. For every module type the kit covers (``predict``,
``chain_of_thought``, ``metrics``, ``signature``, ``template``, ``validator``, ``evaluate``)
that your backend serves it checks:

* when the reference serves it too, the parity properties of dspex's DESIGN.md, on
  hypothesis-generated cases, against one shared :class:`~dspex_core.testing.RecordingLM`:
  ``messages`` (byte-identical prompts, including the JSON fallback), ``settings``
  (equivalent request settings), ``prediction`` (equal fields, values and value types),
  ``failures`` (same error after the same number of LM calls); modules without an LM:
  ``outputs`` (equal outputs or the same error class); ``evaluate``: ``evaluation`` (the same
  score and per-example results, or the same ``EvaluationError`` on the same examples, for
  generated devsets, programs and metrics);
* always, the contract: async twins, ``ModuleRef`` fields, errors for bad input, telemetry
  events, thread safety (compared with the reference's error class when it serves the type).

A module type your backend does not serve is *skipped with the reason "NOT SERVED"*
(``pytest -rs`` lists them), never passed. Every run ends with a "dspex conformance:
coverage" section in pytest's summary: which of your module types were checked, which got
the contract checks only, and which the kit has *no property for* (``react``, a type of your
own, ...): those are NOT COVERED, and nothing about them was checked. Set
``module_types = ("predict",)`` to limit the run. The number of examples comes from the hypothesis profile
(:mod:`dspex_core.testing.profiles`: ``DSPEX_HYPOTHESIS_PROFILE=thorough`` for many more);
a failure prints the first difference and the minimal case.

The same checks run from the command line: ``dspex parity mybackend`` (parity), with
``--contract`` for the contract checks too.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from dspex_core.testing._conformance_cases import (
    EVALUATION_MODULE_TYPES,
    LM_MODULE_TYPES,
    OUTPUT_MODULE_TYPES,
)
from dspex_core.testing._conformance_compare import PROPERTIES, Difference
from dspex_core.testing._conformance_contract_run import contract_test
from dspex_core.testing._conformance_runner import (
    KIT_MODULE_TYPES,
    Mismatch,
    NotServed,
    PropertyReport,
    case_strategy,
    check,
    check_case,
    check_property,
    metric_support,
    serves,
)
from dspex_core.testing._conformance_report import ConformanceCoverageWarning
from dspex_core.testing._recording_lm import RecordingLM
from dspex_core.testing.profiles import conformance_settings

__all__ = ["BackendConformance", "check", "check_property", "check_case", "PropertyReport", "Difference",
           "Mismatch", "KIT_MODULE_TYPES", "PROPERTIES", "ConformanceCoverageWarning"]


class BackendConformance:
    """Subclass it (name the subclass ``Test...``) and set ``backend``; see the module docs."""

    #: The backend under test, as its plugin registers it.
    backend: str = ""
    #: The backend it must agree with.
    reference: str = "dspy"
    #: Limit the module types checked (``None``: every type the kit covers).
    module_types: tuple[str, ...] | None = None
    #: Examples per property (``None``: the hypothesis profile's number).
    max_examples: int | None = None

    # -- the coverage report ----------------------------------------------------------------
    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _dspex_conformance_coverage(cls, request: Any) -> None:
        """List, in pytest's summary, the backend's module types this run did not fully check."""
        from dspex_core import registry
        from dspex_core.testing._conformance_report import report

        if not cls.backend or cls.backend not in registry.installed_backends():
            return  # the tests themselves fail and say why
        report(request.config, cls.__name__, cls.backend, cls.reference, cls.module_types)

    # -- helpers ---------------------------------------------------------------------------
    def _require(self, module_type: str, *, reference: bool = True) -> None:
        from dspex_core import registry

        if not self.backend:
            pytest.fail(f"{type(self).__name__}.backend is not set: name the backend to test")
        installed = registry.installed_backends()
        for who in (self.backend, self.reference) if reference else (self.backend,):
            if who not in installed:
                pytest.fail(f"backend {who!r} is not installed (installed: {', '.join(installed) or 'none'}); "
                            f"pip install the plugin that provides it")
        if self.module_types is not None and module_type not in self.module_types:
            pytest.skip(f"{module_type!r} is not in {type(self).__name__}.module_types")
        if not serves(self.backend, module_type):
            pytest.skip(f"NOT SERVED: backend {self.backend!r} does not serve {module_type!r}")
        if reference and not serves(self.reference, module_type):
            pytest.skip(f"NOT SERVED: the reference {self.reference!r} does not serve {module_type!r}")

    def _strategy(self, module_type: str, prop: str, *, reference: str | None = None) -> Any:
        try:
            return case_strategy(module_type, prop, backend=self.backend, reference=reference or self.reference)
        except NotServed as exc:
            pytest.skip(f"NOT SERVED: {exc}")

    def _run_property(self, module_type: str, prop: str) -> None:
        strategy = self._strategy(module_type, prop)
        lm = RecordingLM()

        @conformance_settings(self.max_examples)
        @given(strategy)
        def parity(case: Any) -> None:
            check_case(self.backend, self.reference, prop, case, lm)

        parity()

    # -- parity properties -------------------------------------------------------------------
    @pytest.mark.parametrize("prop", PROPERTIES)
    @pytest.mark.parametrize("module_type", LM_MODULE_TYPES)
    def test_parity(self, module_type: str, prop: str) -> None:
        """DESIGN.md's parity properties for LM-backed module types."""
        self._require(module_type)
        self._run_property(module_type, prop)

    @pytest.mark.parametrize("module_type", OUTPUT_MODULE_TYPES)
    def test_outputs(self, module_type: str) -> None:
        """Module types without an LM: equal outputs (values and types) or the same error class."""
        self._require(module_type)
        if module_type == "metrics":
            _, declined = metric_support(self.backend, self.reference)
            if declined:
                print(f"metrics not served by both {self.backend!r} and {self.reference!r}: {', '.join(declined)}")
        self._run_property(module_type, "outputs")

    @pytest.mark.parametrize("module_type", EVALUATION_MODULE_TYPES)
    def test_evaluation(self, module_type: str) -> None:
        """``evaluate``: the same score and per-example results as the reference, or the same
        ``EvaluationError`` naming the same failed examples (generated devsets, programs, metrics)."""
        self._require(module_type)
        self._run_property(module_type, "evaluation")

    # -- the contract ------------------------------------------------------------------------
    def _run_contract(self, module_type: str, name: str) -> None:
        self._require(module_type, reference=False)
        try:
            test = contract_test(self.backend, module_type, name, reference=self.reference)
        except NotServed as exc:
            pytest.skip(f"NOT SERVED: {exc}")
        test()

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_async_twins(self, module_type: str) -> None:
        """``acreate``/``aexecute`` give what ``create``/``execute`` give (no reference needed)."""
        self._run_contract(module_type, "async_twins")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_module_ref(self, module_type: str) -> None:
        """``create`` returns a ``ModuleRef`` with the backend, module type and session; ``execute`` a Prediction."""
        self._run_contract(module_type, "module_ref")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_bad_input(self, module_type: str) -> None:
        """A bad spec or an unknown option (named in the message) is an ``InputError``, of the
        reference's class when the reference serves the type; so is having no LM."""
        self._run_contract(module_type, "bad_input")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_telemetry(self, module_type: str) -> None:
        """Routed calls emit ``route`` and ``execute`` events naming the backend."""
        self._run_contract(module_type, "telemetry")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_thread_safety(self, module_type: str) -> None:
        """One module executed from 8 threads gives what it gives one call at a time."""
        self._run_contract(module_type, "thread_safety")
