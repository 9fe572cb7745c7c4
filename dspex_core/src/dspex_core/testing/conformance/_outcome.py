"""Running one conformance case on one backend, through the public API only: an :class:`Outcome`.

A backend is called exactly as a user would call it, ``dspex_core.create(module_type, spec,
implementation=backend, lm=recording_lm, ...)`` then ``dspex_core.execute(ref, inputs)``,
inside a ``dspex_core.session()`` so that backends that keep state clean it up; nothing of the
backend's own is reached into, so what is compared is what users get. An optimizer is not
executed: its case's ``perform`` compiles a program with it (``dspex_core.compile``) and reads
the saved program (:func:`execute_case`). What came out (the LM requests, what a retriever's
case server was sent, the prediction or the error, and at which stage) is an :class:`Outcome`,
which the parity properties compare and the contract checks inspect.
"""

from __future__ import annotations

from typing import Any

from dspex_core.testing._recording_lm import LMCall, RecordingLM
from dspex_core.testing.conformance._cases import LMCase
from dspex_core.testing.conformance._module_case import ModuleCase


def error_class(exc: BaseException) -> str:
    """The name callers would catch: the nearest dspex error class, a builtin, or the full name."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "dspex_core.errors":
            return cls.__name__
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


class Outcome:
    """What one backend did with one case."""

    __slots__ = ("backend", "calls", "prediction", "fields", "completions", "error", "stage", "requests")

    def __init__(self, backend: str, calls: list[LMCall], prediction: Any = None, error: BaseException | None = None,
                 stage: str = "", requests: list[dict[str, Any]] | None = None):
        self.backend = backend
        self.calls = calls
        self.prediction = prediction
        self.error = error
        self.stage = stage
        #: what the run sent besides LM requests (a retriever's HTTP requests), ``None`` if nothing is recorded
        self.requests = requests
        self.fields: list[tuple[str, Any]] | None = None
        self.completions: list[dict[str, Any]] | None = None
        if error is None:
            items = getattr(prediction, "items", None)
            self.fields = list(items()) if callable(items) else None
            completions = getattr(prediction, "completions", None)
            self.completions = [dict(c) for c in completions] if isinstance(completions, list) else None

    def with_calls(self, calls: list[LMCall]) -> "Outcome":
        """The same outcome with other requests (masked, or put in a canonical order)."""
        copy = Outcome(self.backend, calls, self.prediction, self.error, self.stage, self.requests)
        copy.fields, copy.completions = self.fields, self.completions
        return copy

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_class(self) -> str:
        return error_class(self.error) if self.error is not None else ""

    def describe_error(self) -> str:
        if self.error is None:
            return "no error"
        message = str(self.error).strip().splitlines()
        first = message[0] if message else ""
        if len(first) > 160:
            first = first[:157] + "..."
        return f"{self.error_class} at {self.stage}: {first}"

    def __repr__(self) -> str:
        what = f"error={self.describe_error()!r}" if self.error is not None else f"fields={self.fields!r}"
        return f"Outcome({self.backend!r}, calls={len(self.calls)}, {what})"


def case_context(case: Any) -> Any:
    """The case's own context for its run (``EvaluateCase`` mutes the evaluation's error logs)."""
    import contextlib

    context = getattr(case, "context", None)
    return context() if callable(context) else contextlib.nullcontext()


def prepare(case: Any, backend: str, lm: RecordingLM) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """``(spec, create options, call options)`` for one run of ``case`` on ``backend``, the case's
    script loaded into ``lm``. Called inside the run's session: a wrapper case creates its
    wrapped module here, on ``backend``."""
    if isinstance(case, ModuleCase):
        lm.reset(case.script())
        return case.make(backend, lm)
    options = dict(case.create_options)
    call_options = dict(getattr(case, "call_options", {}))
    if isinstance(case, LMCase):
        lm.reset(list(case.script))
        options["lm"] = lm
        if case.demos:
            options["demos"] = [dict(d) for d in case.demos]
    return case.spec(), options, call_options


def execute_case(case: Any, ref: Any, inputs: dict[str, Any], call_options: dict[str, Any]) -> Any:
    """Run a created module as ``case`` says: ``dspex_core.execute``, or the case's own ``perform``
    (an optimizer case compiles its program and returns the saved program)."""
    perform = getattr(case, "perform", None)
    if perform is not None:
        return perform(ref, inputs, **call_options)
    import dspex_core

    return dspex_core.execute(ref, inputs, **call_options)


async def aexecute_case(case: Any, ref: Any, inputs: dict[str, Any], call_options: dict[str, Any]) -> Any:
    """The async twin of :func:`execute_case` (``dspex_core.aexecute``, or the case's ``aperform``)."""
    perform = getattr(case, "aperform", None)
    if perform is not None:
        return await perform(ref, inputs, **call_options)
    import dspex_core

    return await dspex_core.aexecute(ref, inputs, **call_options)


def operation(case: Any) -> str:
    """The public call a run of ``case`` makes after ``create`` (``"execute"``, ``"compile"``)."""
    return getattr(case, "operation", "execute")


def _sent(case: Any) -> list[dict[str, Any]] | None:
    recorded = getattr(case, "source_requests", None)
    return recorded() if recorded is not None else None


def run_case(backend: str, case: Any, lm: RecordingLM | None = None) -> Outcome:
    """Create and execute ``case`` on ``backend`` (a fresh script on ``lm`` for LM cases)."""
    import dspex_core

    lm = lm if lm is not None else RecordingLM()
    stage = "create"
    with dspex_core.session(), case_context(case):
        try:
            spec, options, call_options = prepare(case, backend, lm)
            ref = dspex_core.create(case.module_type, spec, implementation=backend, **options)
            stage = operation(case)
            prediction = execute_case(case, ref, dict(case.inputs), call_options)
        except Exception as exc:  # noqa: BLE001 - the error is the outcome
            return Outcome(backend, list(lm.calls), error=exc, stage=stage, requests=_sent(case))
        return Outcome(backend, list(lm.calls), prediction=prediction, requests=_sent(case))


async def arun_case(backend: str, case: Any, lm: RecordingLM | None = None) -> Outcome:
    """The async twin of :func:`run_case` (``acreate`` and ``aexecute``)."""
    import dspex_core

    lm = lm if lm is not None else RecordingLM()
    stage = "create"
    with dspex_core.session(), case_context(case):
        try:
            spec, options, call_options = prepare(case, backend, lm)
            ref = await dspex_core.acreate(case.module_type, spec, implementation=backend, **options)
            stage = operation(case)
            prediction = await aexecute_case(case, ref, dict(case.inputs), call_options)
        except Exception as exc:  # noqa: BLE001
            return Outcome(backend, list(lm.calls), error=exc, stage=stage, requests=_sent(case))
        return Outcome(backend, list(lm.calls), prediction=prediction, requests=_sent(case))
