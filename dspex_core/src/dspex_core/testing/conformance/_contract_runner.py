"""Checking the contract: one hypothesis test per (backend, module type, check).

:class:`~dspex_core.testing.conformance.BackendConformance` runs them under pytest (a failure
raises with hypothesis's minimal example); ``dspex parity --contract`` runs them through
:func:`check_contract`, which reports instead of raising. The checks themselves live in
:mod:`._contract`; this module draws their cases and drives them.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core.testing.conformance import _contract as contract
from dspex_core.testing.conformance._cases import LMCase, cases
from dspex_core.testing.conformance._coverage import (
    LM_MODULE_TYPES,
    OPTIMIZER_MODULE_TYPES,
    OWN_LM_MODULE_TYPES,
    serves,
)
from dspex_core.testing.conformance._module_cases import MODULE_CASE_TYPES, module_cases
from dspex_core.testing.conformance._optimizer_cases import NO_LM
from dspex_core.testing.conformance._outcome import error_class
from dspex_core.testing.conformance._parity_runner import NotServed, case_strategy
from dspex_core.testing.conformance._properties import properties_for

#: The contract every backend owes, in the order they run.
CONTRACT_CHECKS = ("async_twins", "module_ref", "bad_input", "telemetry", "thread_safety")

#: Examples per check (they are about the backend's plumbing, not its outputs).
CONTRACT_EXAMPLES = {"async_twins": 15, "module_ref": 15, "bad_input": 5, "telemetry": 5, "thread_safety": 5}
#: Fewer for the agents and wrappers, whose every case is a whole run (``program_of_thought``
#: starts a sandbox per call).
MODULE_CASE_EXAMPLES = {"async_twins": 5, "module_ref": 3, "bad_input": 3, "telemetry": 3, "thread_safety": 3}
POT_EXAMPLES = 1
#: An optimizer's case is a whole compile, and the thread check compiles 16 times: two or three each.
OPTIMIZER_EXAMPLES = {"async_twins": 3, "module_ref": 2, "bad_input": 2, "telemetry": 2, "thread_safety": 2}

#: Checks that do not apply to a module type, and why (the suite skips them saying so).
NOT_APPLICABLE = {
    ("best_of_n", "thread_safety"): "the reward function is the caller's code with its own state: concurrent "
                                    "calls consume its rewards in another order",
    ("refine", "thread_safety"): "the reward function is the caller's code with its own state",
    ("retry", "thread_safety"): "the reward function is the caller's code with its own state",
    ("program_of_thought", "thread_safety"): "every call starts its own sandbox session; nothing is shared",
}


def not_applicable(module_type: str, name: str) -> str | None:
    """Why the contract check ``name`` does not apply to ``module_type`` (``None``: it does)."""
    return NOT_APPLICABLE.get((module_type, name))


def examples_for(module_type: str, name: str) -> int:
    if module_type == "program_of_thought":
        return POT_EXAMPLES
    if module_type in OPTIMIZER_MODULE_TYPES:
        return OPTIMIZER_EXAMPLES[name]
    return (MODULE_CASE_EXAMPLES if module_type in MODULE_CASE_TYPES else CONTRACT_EXAMPLES)[name]


def needs_lm(module_type: str) -> bool:
    """Whether executing (compiling, for an optimizer) ``module_type`` without any LM must fail
    telling the user to configure one (the modules around a module take their module's LM)."""
    if module_type in OPTIMIZER_MODULE_TYPES:
        return module_type not in NO_LM
    return module_type in OWN_LM_MODULE_TYPES


def reference_for(reference: str | None, module_type: str) -> str | None:
    """``reference`` when it serves ``module_type`` (else the checks run without comparing)."""
    return reference if reference and serves(reference, module_type) else None


def contract_cases(backend: str, module_type: str, reference: str | None) -> Any:
    """Cases for the contract checks: well-formed LM cases, or what both (or the backend alone) serve.

    Raises :class:`~._parity_runner.NotServed` when there is nothing the backend serves to
    draw from."""
    if module_type in LM_MODULE_TYPES:
        return cases(module_type, first=("well_formed",), second=("well_formed",))
    if module_type in MODULE_CASE_TYPES:
        return module_cases(module_type, ("well_formed",))
    return case_strategy(module_type, properties_for(module_type)[0], backend=backend,
                         reference=reference_for(reference, module_type) or backend)


def contract_test(backend: str, module_type: str, name: str, *, reference: str | None = None,
                  examples: int | None = None, seed: int | None = None, quiet: bool = False,
                  seen: list[Any] | None = None) -> Callable[[], None]:
    """The check ``name`` as a callable that raises on the first (shrunk) failure.

    ``seen`` (a list) receives each case the check is given, so a caller can show the last
    one, which after shrinking is the minimal failing case.
    """
    from hypothesis import Verbosity, given, seed as hseed
    from hypothesis import strategies as st

    from dspex_core.testing._strategies_lm import inputs as input_values
    from dspex_core.testing.profiles import conformance_settings

    if name not in CONTRACT_CHECKS:
        raise ValueError(f"unknown contract check {name!r}; the checks are {', '.join(CONTRACT_CHECKS)}")
    ref = reference_for(reference, module_type)
    strategy = contract_cases(backend, module_type, reference)
    overrides: dict[str, Any] = {"database": None, "verbosity": Verbosity.quiet} if quiet else {}
    settings = conformance_settings(examples or examples_for(module_type, name), **overrides)

    def noted(case: Any) -> Any:
        if seen is not None:
            seen.append(case)
        return case

    if name == "async_twins":
        def body(case: Any) -> None:
            from hypothesis import assume

            assume(not getattr(case, "runs_differ_when_async", False))  # an async tool in a react case
            contract.check_async_twin(backend, noted(case))
    elif name == "module_ref":
        def body(case: Any) -> None:
            contract.check_module_ref(backend, noted(case))
    elif name == "telemetry":
        def body(case: Any) -> None:
            contract.check_telemetry(backend, noted(case))
    elif name == "bad_input":
        def body(case: LMCase) -> None:
            contract.check_no_lm(backend, ref, noted(case))

        no_lm = settings(given(strategy)(body))
        no_lm = hseed(seed)(no_lm) if seed is not None else no_lm

        def bad_input() -> None:
            """A bad spec and an unknown option once; a misspelt, a missing and an extra input field
            for the types that take them; then, for LM module types, no LM."""
            contract.check_bad_spec(backend, ref, module_type)
            contract.check_unknown_option(backend, ref, module_type)
            if module_type in contract.INPUT_FIELD_MODULE_TYPES:
                contract.check_input_fields(backend, ref, module_type)
            if needs_lm(module_type):
                no_lm()

        return bad_input
    else:  # thread_safety
        def threads(data: Any) -> None:
            case = noted(data.draw(strategy, label="case"))
            if isinstance(case, LMCase):
                many = data.draw(st.lists(input_values(case.sig), min_size=8, max_size=16), label="inputs")
            elif module_type in MODULE_CASE_TYPES:
                many = [dict(case.inputs)] * 8
            else:
                many = [dict(case.inputs)] * 16
            contract.check_threads(backend, case, many)

        test = settings(given(st.data())(threads))
        return hseed(seed)(test) if seed is not None else test

    test = settings(given(strategy)(body))
    return hseed(seed)(test) if seed is not None else test


class ContractReport:
    """The result of one contract check on one module type."""

    __slots__ = ("module_type", "check", "status", "failure", "example")

    def __init__(self, module_type: str, check: str, status: str, failure: str = "", example: str = ""):
        self.module_type = module_type
        self.check = check
        self.status = status  # "passed" | "failed" | "not served" | "not applicable" | "skipped"
        self.failure = failure
        self.example = example

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict[str, Any]:
        return {"module_type": self.module_type, "check": self.check, "status": self.status,
                "failure": self.failure or None, "example": self.example or None}

    def __repr__(self) -> str:
        return f"ContractReport({self.module_type!r}, {self.check!r}, {self.status})"


def check_contract(backend: str, module_type: str, name: str, *, reference: str | None = "dspy",
                   examples: int | None = None, seed: int | None = None) -> ContractReport:
    """Run one contract check and report it (a failure keeps its message and minimal case)."""
    if not serves(backend, module_type):
        return ContractReport(module_type, name, "not served", f"{backend!r} does not serve {module_type!r}")
    reason = not_applicable(module_type, name)
    if reason is not None:
        return ContractReport(module_type, name, "not applicable", reason)
    if module_type == "program_of_thought":
        from dspex_core.testing.conformance._pot_cases import sandbox_problem

        problem = sandbox_problem(backend)
        if problem is not None:
            return ContractReport(module_type, name, "skipped", f"SANDBOX NOT AVAILABLE: {problem}")
    seen: list[Any] = []
    try:
        test = contract_test(backend, module_type, name, reference=reference, examples=examples, seed=seed,
                             quiet=True, seen=seen)
        test()
    except NotServed as exc:
        return ContractReport(module_type, name, "not served", str(exc))
    except BaseException as exc:  # noqa: BLE001 - the failure is the report
        if isinstance(exc, KeyboardInterrupt):
            raise
        # A broken rule says what broke; anything else (the backend blew up) keeps its class.
        failure = str(exc) if isinstance(exc, contract.ContractError) else f"{error_class(exc)}: {exc}"
        return ContractReport(module_type, name, "failed", failure, repr(seen[-1]) if seen else "")
    return ContractReport(module_type, name, "passed")
