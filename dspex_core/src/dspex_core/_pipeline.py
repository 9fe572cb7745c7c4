"""Pipelines: steps served by different backends, one running state, checked before they run.

::

    import dspex_core as dspex

    p = dspex.pipeline([
        ("native", dspex.Signature, {"spec": "query -> keywords: list[str]"}),
        ("auto", dspex.ChainOfThought, {"signature": "keywords -> analysis"}),
        ("native", dspex.Template, {"template": "Analysis: {analysis}"}),
    ])
    res = dspex.run_pipeline(p, {"query": "explain DSPy"})
    res.text, [(s.name, s.backend, s.duration) for s in res.steps]

Building a pipeline creates every step's module through the router (each step is routed on
its own: ``"native"``, ``"dspy"``, a third party's backend, or ``"auto"``), learns what each
step reads and produces, and rejects a step that reads a field no earlier step or pipeline
input provides, so a typo fails before any LM call. Running one gives each step only the
fields it reads and merges its :class:`~dspex_core.Prediction` into the running state (later
values win). A failing step raises :class:`~dspex_core.StepError`, which keeps the state
computed so far.

Fallback follows the router: an ``"auto"`` step whose backend fails for a reason other than
the user's input (a missing capability, an internal error) is retried on the next candidate
when ``allow_fallback`` is on, and its :class:`StepResult` says which backend served it and
which one failed first. A step forced to a backend (``"native"``) never falls back.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterable, Iterator, Mapping

from dspex_core import _api, _router, callbacks as _callbacks
from dspex_core._input_rules import did_you_mean
from dspex_core._module_ref import check_inputs
from dspex_core._pipeline_build import StepPlan, create_step, read_step, step_fields
from dspex_core._pipeline_result import PipelineResult, StepResult
from dspex_core.errors import InputError, StepError

__all__ = ["Pipeline", "PipelineStep", "PipelineResult", "StepResult", "pipeline", "run_pipeline",
           "arun_pipeline"]

_perf = time.perf_counter


class PipelineStep:
    """One built step: its created module (``ref``) and the fields it reads and produces.

    ``implementation`` is what was asked for (``"auto"``, ``"native"``, ...); ``ref.backend``
    is the backend chosen; ``create_fallback_from`` names a backend that failed to create the
    module before it (``None`` normally).
    """

    __slots__ = ("name", "index", "implementation", "module_type", "ref", "inputs", "outputs",
                 "create_fallback_from")

    def __init__(self, plan: StepPlan, ref: Any, inputs: tuple[str, ...], outputs: tuple[str, ...],
                 create_fallback_from: str | None):
        self.name = plan.name
        self.index = plan.index
        self.implementation = plan.implementation
        self.module_type = plan.module_type
        self.ref = ref
        self.inputs = inputs
        self.outputs = outputs
        self.create_fallback_from = create_fallback_from

    @property
    def backend(self) -> str:
        """The backend chosen when the pipeline was built."""
        return self.ref.backend

    def __repr__(self) -> str:
        return (f"PipelineStep({self.name!r}, implementation={self.implementation!r}, backend={self.backend!r}, "
                f"reads={list(self.inputs)}, produces={list(self.outputs)})")


class Pipeline:
    """A built pipeline: ``steps``, the ``inputs`` the caller must give, the ``outputs`` the steps
    produce (in order of first production). Run it with :func:`run_pipeline`."""

    __slots__ = ("steps", "inputs", "outputs")

    def __init__(self, steps: list[PipelineStep], inputs: tuple[str, ...]):
        self.steps = steps
        self.inputs = inputs
        produced: dict[str, None] = {}
        for step in steps:
            produced.update(dict.fromkeys(step.outputs))
        self.outputs = tuple(produced)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[PipelineStep]:
        return iter(self.steps)

    def describe(self) -> str:
        """One line per step: name, requested implementation, backend chosen, reads, produces."""
        lines = []
        for step in self.steps:
            via = f" (after {step.create_fallback_from} failed)" if step.create_fallback_from else ""
            lines.append(f"{step.name}: {step.implementation} -> {step.backend}{via}; "
                         f"reads {', '.join(step.inputs) or '(nothing)'}; "
                         f"produces {', '.join(step.outputs) or '(nothing)'}")
        return "\n".join(lines)

    explain = describe

    def __repr__(self) -> str:
        return f"Pipeline({[s.name for s in self.steps]}, inputs={list(self.inputs)})"


def pipeline(steps: Iterable[Any], *, inputs: Iterable[str] | None = None) -> Pipeline:
    """Build a pipeline: create every step's module and check that each field a step reads is
    given by the caller or produced by an earlier step.

    The caller gives the fields step 1 reads, or, when ``inputs=[...]`` is passed, exactly
    those (pass it when later steps read fields step 1 does not).
    """
    if isinstance(steps, (str, bytes, Mapping)) or not isinstance(steps, Iterable):
        raise InputError(f"pipeline() takes a list of steps, each (implementation, module, options); "
                         f"got {type(steps).__name__}")
    raw_steps = list(steps)
    if not raw_steps:
        raise InputError("a pipeline needs at least one step, e.g. ('auto', dspex.Predict, "
                         "{'signature': 'question -> answer'})")
    given = _caller_inputs(inputs)
    plans = [read_step(raw, index) for index, raw in enumerate(raw_steps, 1)]
    seen: dict[str, int] = {}
    for plan in plans:
        if plan.name in seen:
            raise InputError(f"pipeline steps {seen[plan.name]} and {plan.index} are both named {plan.name!r}; "
                             f"step names must be unique")
        seen[plan.name] = plan.index
    built: list[PipelineStep] = []
    available: dict[str, str] = {}  # field -> who provides it
    for plan in plans:
        ref, create_fallback_from = create_step(plan)
        reads, produces = step_fields(ref, plan)
        if not built:
            caller = given if given is not None else reads
            available.update(dict.fromkeys(caller, "the pipeline's inputs"))
        missing = [field for field in reads if field not in available]
        if missing:
            raise InputError(_missing_message(plan, missing, available, given is not None))
        available.update(dict.fromkeys(produces, f"step {plan.name!r}"))
        built.append(PipelineStep(plan, ref, reads, produces, create_fallback_from))
    return Pipeline(built, given if given is not None else built[0].inputs)


def _caller_inputs(inputs: Iterable[str] | None) -> tuple[str, ...] | None:
    if inputs is None:
        return None
    if isinstance(inputs, str) or not isinstance(inputs, Iterable):
        raise InputError(f"inputs= must be a list of field names, e.g. inputs=['query'], got {inputs!r}")
    names = tuple(inputs)
    bad = [n for n in names if not isinstance(n, str) or not n.isidentifier()]
    if bad:
        raise InputError(f"inputs= must be field names (identifiers), got {bad}")
    return tuple(dict.fromkeys(names))


def _missing_message(plan: StepPlan, missing: list[str], available: Mapping[str, str], explicit: bool) -> str:
    fields = ", ".join(repr(f) for f in missing)
    noun = "field" if len(missing) == 1 else "fields"
    have = ", ".join(f"{f!r} ({who})" for f, who in available.items()) or "(none)"
    hint = ("add it to inputs=[...]" if explicit
            else "produce it in an earlier step, or pass inputs=[...] to pipeline() listing the caller's fields")
    return (f"pipeline step {plan.name!r} ({plan.implementation} {plan.module_type}) reads the {noun} {fields}, "
            f"which no earlier step or pipeline input provides; available: {have}; {hint}")


# -- running ------------------------------------------------------------------------------------

def _start(p: Any, inputs: Any, step_options: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    if not isinstance(p, Pipeline):
        raise InputError(f"run_pipeline() needs a Pipeline from dspex.pipeline([...]), got {type(p).__name__}")
    state = dict(check_inputs(inputs))
    missing = [name for name in p.inputs if name not in state]
    if missing:
        hints = [f"{guess!r} for {name!r}" for name in state if name not in p.inputs
                 and (guess := did_you_mean(name, missing)) is not None]
        raise InputError(f"the pipeline needs the input{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(m) for m in missing)}; given: {', '.join(map(repr, state)) or '(none)'}"
                         + (f" (did you mean {', '.join(hints)}?)" if hints else ""))
    per_step: dict[str, dict[str, Any]] = {}
    if step_options:
        if not isinstance(step_options, Mapping):
            raise InputError("step_options= must map step names to dicts of call options")
        names = {s.name: s for s in p.steps}
        for key, value in step_options.items():
            if key not in names or not isinstance(value, Mapping):
                raise InputError(f"step_options: {key!r} must be a step name ({', '.join(names)}) mapped to a "
                                 f"dict of call options")
            per_step[key] = dict(value)
    return state, per_step


def _settings_block(settings: dict[str, Any]) -> Any:
    if not settings:
        return contextlib.nullcontext()
    from dspex_core.config import context

    return context(**settings)


def _served(step: PipelineStep, record: list[tuple[str, str, str, Any]]) -> tuple[str, str | None]:
    executes = [r for r in record if r[0] == "execute" and r[3] is step.ref]  # not a nested module's
    if executes:
        return executes[-1][2], executes[0][1]
    return step.ref.backend, step.create_fallback_from


class _StepCall:
    """What running one step takes besides the call itself, the same for sync and async runs:
    the step's inputs from the state, the fallback record, the clock, a failure turned into
    :class:`StepError` (with the state so far), and on success the step's result appended and
    its outputs merged into the state."""

    __slots__ = ("step", "total", "state", "results", "inputs", "record", "token", "start")

    def __init__(self, step: PipelineStep, total: int, state: dict[str, Any], results: list[StepResult]):
        self.step, self.total, self.state, self.results = step, total, state, results
        self.inputs = {f: state[f] for f in step.inputs if f in state}

    def __enter__(self) -> "_StepCall":
        self.record: list[tuple[str, str, str, Any]] = []
        self.token = _router.fallback_record.set(self.record)
        self.start = _perf()
        return self

    def done(self, prediction: Any) -> None:
        step = self.step
        if not hasattr(prediction, "items"):
            raise TypeError(f"backend {step.backend!r} returned {type(prediction).__name__} for step "
                            f"{step.name!r}, not a Prediction")
        backend, fallback_from = _served(step, self.record)
        self.results.append(StepResult(step.name, step.index, step.module_type, backend, fallback_from,
                                       _perf() - self.start, prediction))
        self.state.update(prediction.items())

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        _router.fallback_record.reset(self.token)
        if isinstance(exc, Exception):
            step = self.step
            raise StepError(f"pipeline step {step.name!r} (step {step.index} of {self.total}, {step.module_type} "
                            f"on {step.backend}) failed: {type(exc).__name__}: {exc}",
                            step=step.index, step_name=step.name, state=dict(self.state),
                            results=list(self.results)) from exc


def run_pipeline(p: Pipeline, inputs: Mapping[str, Any] | None = None, *,
                 step_options: Mapping[str, Mapping[str, Any]] | None = None, **settings: Any) -> PipelineResult:
    """Run a built pipeline on ``inputs``.

    ``settings`` (``lm=``, ``adapter=``, ``allow_fallback=``, any key of ``dspex.configure``)
    apply to every step for this run, as a ``dspex.context(...)`` block, so a step created
    with its own ``lm=`` keeps it. ``step_options={"2:chain_of_thought": {"config": {...}}}``
    passes call options to one step's ``execute``.
    """
    state, per_step = _start(p, inputs, step_options)
    results: list[StepResult] = []
    begin = _perf()
    with _settings_block(settings):
        events = _events(p, state)
        with events or contextlib.nullcontext():
            for step in p.steps:
                with _StepCall(step, len(p.steps), state, results) as call:
                    call.done(_api.execute(step.ref, call.inputs, **per_step.get(step.name, {})))
            result = PipelineResult(state, results, _perf() - begin)
            if events is not None:
                events.outputs = result
    return result


async def arun_pipeline(p: Pipeline, inputs: Mapping[str, Any] | None = None, *,
                        step_options: Mapping[str, Mapping[str, Any]] | None = None,
                        **settings: Any) -> PipelineResult:
    """The async twin of :func:`run_pipeline` (each step through ``dspex.aexecute``)."""
    state, per_step = _start(p, inputs, step_options)
    results: list[StepResult] = []
    begin = _perf()
    with _settings_block(settings):
        events = _events(p, state)
        with events or contextlib.nullcontext():
            for step in p.steps:
                with _StepCall(step, len(p.steps), state, results) as call:
                    call.done(await _api.aexecute(step.ref, call.inputs, **per_step.get(step.name, {})))
            result = PipelineResult(state, results, _perf() - begin)
            if events is not None:
                events.outputs = result
    return result


def _events(p: Pipeline, state: Mapping[str, Any]) -> _callbacks.Events | None:
    """The ``pipeline`` event pair of a run (``on_pipeline_start(call_id, instance=the pipeline,
    inputs={"inputs": ...})``, ``on_pipeline_end`` with the :class:`PipelineResult`), so that
    listeners can nest the steps' module events inside it; ``None`` when no one listens. DSPy
    has no such event: a DSPy callback, which lacks the methods, is not told."""
    found = _callbacks.active()
    return _callbacks.Events("pipeline", found, p, {"inputs": dict(state)}) if found else None
