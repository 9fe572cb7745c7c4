"""Checking parity: pure Python, shared by ``BackendConformance`` and ``dspex parity``.

For one module type and one property, it draws cases with hypothesis, runs each on the
backend under test and on the reference (both calling one shared :class:`RecordingLM`, so
their replies are identical by construction), compares the outcomes, and returns a
:class:`PropertyReport`: cases run, cases agreed, and the first difference, shrunk by
hypothesis to a minimal case. ``BackendConformance`` uses :func:`check_case` under its own
``@given`` so that pytest shows the failure; ``dspex parity`` uses :func:`check`, which
reports instead of raising.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from dspex_core.testing._recording_lm import RecordingLM
from dspex_core.testing.conformance._cases import METRIC_NAMES, cases
from dspex_core.testing.conformance._coverage import (
    KIT_MODULE_TYPES,
    LM_MODULE_TYPES,
    NOT_COVERED_NOTE,
    OPTIMIZER_MODULE_TYPES,
    RETRIEVER_MODULE_TYPES,
    not_covered,
    serves,
)
from dspex_core.testing.conformance._masks import comparable
from dspex_core.testing.conformance._module_cases import KINDS_FOR, LEFT_OUT, MASKS, MODULE_CASE_TYPES, module_cases
from dspex_core.testing.conformance._outcome import Outcome, error_class, run_case
from dspex_core.testing.conformance._pot_cases import sandbox_problem
from dspex_core.testing.conformance._properties import DIFFS, Difference, properties_for

#: How each LM property draws its replies: the failures property feeds unparseable replies,
#: the prediction property parseable ones, the others a mix.
_LM_CASE_OPTIONS: dict[str, dict[str, Any]] = {
    "messages": {},
    "settings": {"first": ("well_formed",), "second": ("well_formed", "json"), "n_rule": True},
    "prediction": {"first": ("well_formed", "well_formed", "json"), "second": ("well_formed", "json")},
    "failures": {"first": ("malformed",), "second": ("malformed", "malformed", "json", "well_formed")},
}


#: The share of the profile's examples each property of these module types runs (at least one):
#: a case of theirs is a whole run of many requests, and ``program_of_thought`` runs code in a
#: sandbox that DSPy starts afresh for every call (about ten seconds a case), so it runs one case
#: per property under the default profile (ten under the thorough one). An optimizer's case is a
#: whole compile (COPRO and MIPROv2 score every candidate on the trainset), so they run a few
#: each; a retriever's case is one request to a local server, an ``lm`` case one LM request.
#: ``DSPEX_CONFORMANCE_EXAMPLES`` and an explicit ``examples=`` still decide when given.
EXAMPLE_SHARE = {"multi_chain_comparison": 0.2, "react": 0.25, "best_of_n": 0.1, "refine": 0.15, "retry": 0.1,
                 "parallel": 0.1, "program_of_thought": 0.005,
                 "labeled_few_shot": 0.1, "bootstrap_few_shot": 0.15, "bootstrap_few_shot_with_random_search": 0.1,
                 "copro": 0.05, "mipro": 0.03, "mipro_v2": 0.05, "colbert_v2": 0.25, "retrieve": 0.25, "lm": 0.25}

#: What each known difference a case masks says in a report.
MASKED_NOTE = "known difference masked: {why}"
#: What each known difference the cases leave out says in a report.
LEFT_OUT_NOTE = "known difference left out of the cases: {why}"


def examples_for(module_type: str, examples: int | None) -> int | None:
    """How many examples a property of ``module_type`` runs (``None``: the profile's)."""
    import os

    if examples is not None or module_type not in EXAMPLE_SHARE or os.environ.get("DSPEX_CONFORMANCE_EXAMPLES"):
        return examples
    from dspex_core.testing.profiles import examples as profile_examples

    return max(1, round(profile_examples() * EXAMPLE_SHARE[module_type]))


def search_phases(module_type: str) -> dict[str, Any]:
    """Hypothesis settings for ``module_type``: ``program_of_thought`` reports its first failing
    case as drawn, unshrunk, since shrinking would rerun it (both sandboxes, seconds each) dozens
    of times; its cases are small already. An optimizer's or a retriever's failing case is shrunk
    (a whole compile, or a server started twice, a step) but not explained: hypothesis's explain
    phase reruns the minimal case hundreds of times more to say which parts may vary, which the
    case's own printout makes plain."""
    from hypothesis import Phase

    if module_type == "program_of_thought":
        return {"phases": (Phase.explicit, Phase.reuse, Phase.generate)}
    if module_type in OPTIMIZER_MODULE_TYPES + RETRIEVER_MODULE_TYPES:
        return {"phases": (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)}
    return {}


def unavailable(module_type: str, backend: str, reference: str) -> str | None:
    """Why a property of ``module_type`` cannot run here at all (a sandbox that does not start), or ``None``."""
    if module_type != "program_of_thought":
        return None
    for who in (backend, reference):
        problem = sandbox_problem(who)
        if problem is not None:
            return f"SANDBOX NOT AVAILABLE: program_of_thought on {who!r} cannot run code here: {problem}"
    return None


def masks_note(module_type: str) -> str:
    """The known differences the cases of ``module_type`` mask or leave out, for the reports."""
    return "; ".join([*(MASKED_NOTE.format(why=mask.why) for mask in MASKS.get(module_type, ())),
                      *(LEFT_OUT_NOTE.format(why=why) for why in LEFT_OUT.get(module_type, ()))])


class Mismatch(AssertionError):
    """A case on which the backend and the reference disagree (its text is the difference)."""

    def __init__(self, difference: Difference, case: Any):
        self.difference = difference
        self.case = case
        super().__init__(f"{difference}\n\nminimal case:\n{case!r}")


class NotServed(Exception):
    """The backend (or the reference) does not serve what the property needs."""


def metric_support(backend: str, reference: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Metric names both serve, and those one of them declines with ``NotImplementedError``."""
    import dspex_core

    usable, declined = [], []
    for name in METRIC_NAMES:
        ok = True
        for who in (backend, reference):
            try:
                with dspex_core.session():
                    dspex_core.create("metrics", name, implementation=who)
            except NotImplementedError:
                ok = False
            except Exception:  # noqa: BLE001 - other errors are compared by the property itself
                pass
        (usable if ok else declined).append(name)
    return tuple(usable), tuple(declined)


def case_strategy(module_type: str, prop: str, *, backend: str = "", reference: str = "") -> Any:
    """The hypothesis strategy for ``prop`` on ``module_type`` (metrics: only those both serve)."""
    if module_type in LM_MODULE_TYPES:
        return cases(module_type, **_LM_CASE_OPTIONS[prop])
    if module_type in MODULE_CASE_TYPES:
        return module_cases(module_type, KINDS_FOR[prop])
    if module_type == "metrics" and backend and reference:
        usable, _ = metric_support(backend, reference)
        if not usable:
            raise NotServed(f"neither metric is served by both {backend!r} and {reference!r}")
        return cases("metrics", metrics=usable)
    return cases(module_type)


def compare_case(backend: str, reference: str, prop: str, case: Any, lm: RecordingLM | None = None
                 ) -> Difference | None:
    """Run ``case`` on both (one shared LM) and compare them on ``prop``."""
    lm = lm if lm is not None else RecordingLM()
    mine = comparable(case, run_case(backend, case, lm))
    theirs = comparable(case, run_case(reference, case, lm))
    return DIFFS[prop](mine, theirs)


def check_case(backend: str, reference: str, prop: str, case: Any, lm: RecordingLM | None = None) -> None:
    """Raise :class:`Mismatch` when ``backend`` and ``reference`` disagree on ``case``."""
    difference = compare_case(backend, reference, prop, case, lm)
    if difference is not None:
        raise Mismatch(difference, case)


class PropertyReport:
    """The result of one property on one module type."""

    __slots__ = ("module_type", "prop", "status", "cases", "agreed", "difference", "example", "note")

    def __init__(self, module_type: str, prop: str, status: str, cases: int = 0, agreed: int = 0,
                 difference: Difference | None = None, example: str = "", note: str = ""):
        self.module_type = module_type
        self.prop = prop
        # "agreed" | "differs" | "flaky" | "not served" | "skipped" | "not covered" | "error"
        self.status = status
        self.cases = cases
        self.agreed = agreed
        self.difference = difference
        self.example = example
        self.note = note

    @property
    def passed(self) -> bool:
        return self.status == "agreed"

    def as_dict(self) -> dict[str, Any]:
        return {"module_type": self.module_type, "property": self.prop, "status": self.status,
                "cases": self.cases, "agreed": self.agreed,
                "first_difference": str(self.difference) if self.difference else None,
                "example": self.example or None, "note": self.note or None}

    def __repr__(self) -> str:
        return (f"PropertyReport({self.module_type!r}, {self.prop!r}, {self.status}, cases={self.cases}, "
                f"agreed={self.agreed})")


def check_property(backend: str, module_type: str, prop: str, *, reference: str = "dspy",
                   examples: int | None = None, seed: int | None = None) -> PropertyReport:
    """Run one property for up to ``examples`` cases; stop at (and shrink) the first difference."""
    from hypothesis import Verbosity, given, seed as hseed
    from hypothesis import errors as herrors

    from dspex_core.testing.profiles import conformance_settings

    for who in (backend, reference):
        if not serves(who, module_type):
            return PropertyReport(module_type, prop, "not served", note=f"{who!r} does not serve {module_type!r}")
    problem = unavailable(module_type, backend, reference)
    if problem is not None:
        return PropertyReport(module_type, prop, "skipped", note=problem)
    try:
        strategy = case_strategy(module_type, prop, backend=backend, reference=reference)
    except NotServed as exc:
        return PropertyReport(module_type, prop, "not served", note=str(exc))
    note = masks_note(module_type)
    examples = examples_for(module_type, examples)
    if module_type == "metrics":
        _, declined = metric_support(backend, reference)
        note = f"metrics not served by both: {', '.join(declined)}" if declined else ""
    lm = RecordingLM()
    state: dict[str, Any] = {"cases": 0, "agreed": 0, "failed": False, "last": None, "error": None}

    def body(case: Any) -> None:
        try:
            difference = compare_case(backend, reference, prop, case, lm)
        except Exception as exc:  # the kit's own trouble with this case: kept for the report
            if not state["failed"]:
                state["cases"] += 1
            state["failed"] = True
            if state["error"] is None:
                state["error"] = (exc, case)
            raise
        if not state["failed"]:
            state["cases"] += 1
            state["agreed"] += difference is None
        if difference is not None:
            state["failed"] = True
            state["last"] = (difference, case)
            raise Mismatch(difference, case)

    test = conformance_settings(examples, database=None, verbosity=Verbosity.quiet,
                                **search_phases(module_type))(given(strategy)(body))
    if seed is not None:
        test = hseed(seed)(test)
    try:
        test()
    except Mismatch:
        pass
    except herrors.Flaky as exc:  # a non-deterministic backend (FlakyFailure included): never agreed
        return _flaky_report(module_type, prop, state, exc, note)
    except BaseException as exc:  # noqa: BLE001 - report the kit's own trouble, e.g. a strategy error
        if isinstance(exc, KeyboardInterrupt):
            raise
        example = repr(state["error"][1]) if state["error"] is not None else ""
        return PropertyReport(module_type, prop, "error", state["cases"], state["agreed"], example=example,
                              note=f"{error_class(exc)}: {exc}")
    if state["last"] is None:
        return PropertyReport(module_type, prop, "agreed", state["cases"], state["agreed"], note=note)
    difference, case = state["last"]
    return PropertyReport(module_type, prop, "differs", state["cases"], state["agreed"], difference, repr(case),
                          note)


#: What a flaky property's report says first (``first`` without "; ", which separates a report's notes).
FLAKY_NOTE = "flaky, first seen: {first} (the case did not give the same result when run again: {kind})"


def _flaky_report(module_type: str, prop: str, state: dict[str, Any], exc: BaseException,
                  note: str) -> PropertyReport:
    """A property whose outcome changed when hypothesis ran a case again: a failure, with what was
    seen first (the difference, or the error the case raised) and the case."""
    difference, example, first = None, "", "nothing recorded"
    if state["last"] is not None:
        difference, case = state["last"]
        example, first = repr(case), f"{difference.prop}: {difference.summary}"
    elif state["error"] is not None:
        error, case = state["error"]
        example, first = repr(case), f"the case raised {error_class(error)}: {error}"
    first = " ".join(first.split()).replace("; ", ", ")
    text = FLAKY_NOTE.format(kind=type(exc).__name__, first=first)
    return PropertyReport(module_type, prop, "flaky", state["cases"], state["agreed"], difference, example,
                          "; ".join(part for part in (text, note) if part))


def _not_covered_report(backend: str, module_type: str) -> PropertyReport:
    return PropertyReport(module_type, "-", "not covered",
                          note=NOT_COVERED_NOTE.format(backend=backend, module_type=module_type))


def check(backend: str, *, reference: str = "dspy", module_types: Iterable[str] | None = None,
          examples: int | None = None, seed: int | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> list[PropertyReport]:
    """Every property for every module type (default: all the kit covers).

    Without ``module_types``, every module type ``backend`` registers that the kit has no
    property for gets a ``"not covered"`` report: nothing about it was checked, and the
    report says so rather than leaving it out. ``progress(done, total, "type/property")`` is
    called before each property runs (``dspex parity`` shows it on a terminal).
    """
    reports = []
    plan = [(module_type, properties_for(module_type)) for module_type in module_types or KIT_MODULE_TYPES]
    total, done = sum(len(props) for _, props in plan), 0
    for module_type, props in plan:
        if not props:
            reports.append(_not_covered_report(backend, module_type))
            continue
        for prop in props:
            if progress is not None:
                progress(done, total, f"{module_type}/{prop}")
            reports.append(check_property(backend, module_type, prop, reference=reference, examples=examples,
                                          seed=seed))
            done += 1
    if module_types is None:
        reports.extend(_not_covered_report(backend, module_type) for module_type in not_covered(backend))
    return reports
