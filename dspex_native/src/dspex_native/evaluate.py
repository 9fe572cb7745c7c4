"""The ``evaluate`` module type: score a program on a devset, as ``dspy.Evaluate`` does.

``create(devset=[...], metric=fn, num_threads=8, max_errors=10, failure_score=0.0,
display_progress=None, provide_traceback=False)`` then ``execute(state, {"program": p})``.
The program is a ``ModuleRef`` or any callable taking an example's inputs as keyword
arguments; the metric is ``metric(example, prediction)`` (a ``metrics`` ModuleRef, or the
name of a native example/prediction metric such as ``"answer_exact_match"``, works too).

Examples run through the configured executor (``dspex.settings().executor``, threads by
default; ``aexecute`` uses its ``amap`` on the event loop). An example whose program or
metric raises scores ``failure_score`` with an empty ``Prediction``; once ``max_errors``
examples have failed the run stops and raises :class:`EvaluationError` (DSPy's rule, with
DSPy's default of 10). The result is ``Prediction(score=round(100 * sum / n, 2),
results=[(example, prediction, score), ...])`` in devset order, the sum taken in that order
so that the score equals DSPy's to the last digit.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from dspex_core import ModuleRef, Prediction
from dspex_core.errors import EvaluationError, InputError
from dspex_native.evaluate_options import DEFAULT_MAX_ERRORS, check_options

DEFAULT_NUM_THREADS = 8  # dspy.settings.num_threads
_OPTIONS = ("devset", "metric", "num_threads", "max_errors", "failure_score", "display_progress",
            "provide_traceback")
__all__ = ["EvaluateImpl", "EvaluationError"]

_CALL_OPTIONS = ("devset", "metric", "num_threads", "display_progress")


class EvaluateState:
    """An evaluation's configuration (checked once, at create)."""

    __slots__ = _OPTIONS

    def __init__(self, **values: Any):
        for key in _OPTIONS:
            setattr(self, key, values[key])

    def replace(self, **changes: Any) -> "EvaluateState":
        return EvaluateState(**{**{k: getattr(self, k) for k in _OPTIONS}, **changes})

    def __repr__(self) -> str:
        return f"EvaluateState(devset=<{len(self.devset)} examples>, metric={self.metric!r})"


# -- one example ------------------------------------------------------------------------------
def _inputs(example: Any) -> dict[str, Any]:
    inputs = example.inputs()
    return dict(inputs.items()) if hasattr(inputs, "items") else dict(inputs)


def _program_caller(program: Any) -> Callable[[Any], Any]:
    if isinstance(program, ModuleRef):
        from dspex_core import execute

        return lambda example: execute(program, _inputs(example))
    if callable(program):
        return lambda example: program(**_inputs(example))
    raise InputError(f"evaluate's program must be a ModuleRef or a callable, got {type(program).__name__}")


def _async_program_caller(program: Any) -> Callable[[Any], Any]:
    import asyncio
    import inspect

    if isinstance(program, ModuleRef):
        from dspex_core import aexecute

        return lambda example: aexecute(program, _inputs(example))
    acall = getattr(program, "acall", None)
    if callable(acall):
        return lambda example: acall(**_inputs(example))
    if inspect.iscoroutinefunction(program) or inspect.iscoroutinefunction(getattr(program, "__call__", None)):
        return lambda example: program(**_inputs(example))
    if callable(program):
        return lambda example: asyncio.to_thread(program, **_inputs(example))
    raise InputError(f"evaluate's program must be a ModuleRef or a callable, got {type(program).__name__}")


def _metric_caller(metric: Any) -> Callable[[Any, Any], Any]:
    if isinstance(metric, ModuleRef):
        from dspex_core import execute

        return lambda example, pred: execute(metric, {"example": example, "pred": pred}).score
    return metric


class _Run:
    """Bookkeeping shared by the workers of one evaluation: errors, cancellation, progress."""

    def __init__(self, state: EvaluateState):
        import sys

        self.state = state
        self.limit = state.max_errors if state.max_errors is not None else DEFAULT_MAX_ERRORS
        shown = state.display_progress
        if shown is None:
            isatty = getattr(sys.stderr, "isatty", None)
            shown = bool(isatty and isatty())
        from dspex_native.evaluate_progress import Progress

        self.progress = Progress(len(state.devset), sys.stderr if shown else None)
        self.errors: list[tuple[int, BaseException]] = []
        self.cancelled = False
        self._lock = threading.Lock()

    def failed(self, index: int, example: Any, error: BaseException) -> "_Failure":
        import logging

        with self._lock:
            self.errors.append((index, error))
            if len(self.errors) >= self.limit:
                self.cancelled = True
        if self.state.provide_traceback:
            logging.getLogger(__name__).error("Error for %r: %s", example, error, exc_info=error)
        else:
            logging.getLogger(__name__).error("Error for %r: %s. Set `provide_traceback=True` for traceback.",
                                              example, error)
        self.progress.update(failed=True)
        return _Failure(error)

    def finish(self, outcomes: list[Any]) -> Prediction:
        from dspex_core.executors import ExecutorFailure

        self.progress.close()
        if self.cancelled:
            self.errors.sort(key=lambda item: item[0])
            index, first = self.errors[0]
            raise EvaluationError(
                f"evaluation stopped: {len(self.errors)} examples failed (max_errors={self.limit}); "
                f"first failure, devset[{index}]: {type(first).__name__}: {first}", list(self.errors)) from first
        results = []
        for example, outcome in zip(self.state.devset, outcomes):
            if isinstance(outcome, (_Failure, ExecutorFailure)) or outcome is None:
                results.append((example, Prediction(), self.state.failure_score))
            else:
                results.append((example, outcome[0], outcome[1]))
        total = sum(score for *_, score in results)
        return Prediction(score=round(100 * total / len(results), 2), results=results)


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


# -- the module type ---------------------------------------------------------------------------
class EvaluateImpl:
    """``create(devset=..., metric=..., ...)``; ``execute(state, {"program": p}) -> Prediction``."""

    def create(self, spec: Any = None, **options: Any) -> EvaluateState:
        if spec is not None:
            raise InputError("evaluate takes no spec; pass devset=[...] and metric=... as options")
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise InputError(f"evaluate got unknown options {sorted(unknown)}; allowed: {', '.join(_OPTIONS)}")
        if "devset" not in options:
            raise InputError("evaluate needs devset=[...]: a non-empty list of Example(...).with_inputs(...)")
        values = {"metric": None, "num_threads": None, "max_errors": None, "failure_score": 0.0,
                  "display_progress": None, "provide_traceback": False, **options}
        return EvaluateState(**check_options(values))

    def _prepare(self, state: EvaluateState, inputs: Mapping[str, Any], options: dict[str, Any]) -> tuple:
        unknown = set(options) - set(_CALL_OPTIONS)
        if unknown:
            raise InputError(f"evaluate takes the call options {', '.join(_CALL_OPTIONS)}; got {sorted(unknown)}")
        if options:
            state = state.replace(**check_options(options))
        if not isinstance(inputs, Mapping) or set(inputs) != {"program"}:
            got = sorted(inputs) if isinstance(inputs, Mapping) else type(inputs).__name__
            raise InputError(f"evaluate's inputs are {{'program': <ModuleRef or callable>}}, got {got}")
        if state.metric is None:
            raise InputError("evaluate needs metric=: a callable metric(example, prediction)")
        return state, _metric_caller(state.metric)

    def execute(self, state: EvaluateState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        from dspex_core import registry, settings

        state, metric = self._prepare(state, inputs, options)
        call = _program_caller(inputs["program"])
        run = _Run(state)

        def work(item: tuple[int, Any]) -> Any:
            index, example = item
            if run.cancelled:
                return None
            try:
                prediction = call(example)
                score = metric(example, prediction)
            except Exception as exc:  # noqa: BLE001 - scored as a failure, counted against max_errors
                return run.failed(index, example, exc)
            run.progress.update(score)
            return prediction, score

        executor = registry.executor(settings().executor)
        try:
            outcomes = executor.map(work, list(enumerate(state.devset)),
                                    max_workers=state.num_threads or DEFAULT_NUM_THREADS)
        except BaseException:
            run.progress.close()
            raise
        return run.finish(outcomes)

    async def aexecute(self, state: EvaluateState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        import asyncio
        import inspect

        from dspex_core import registry, settings

        state, metric = self._prepare(state, inputs, options)
        call = _async_program_caller(inputs["program"])
        run = _Run(state)

        async def work(item: tuple[int, Any]) -> Any:
            index, example = item
            if run.cancelled:
                return None
            try:
                prediction = await call(example)
                score = metric(example, prediction)
                if inspect.isawaitable(score):
                    score = await score
            except Exception as exc:  # noqa: BLE001
                return run.failed(index, example, exc)
            run.progress.update(score)
            return prediction, score

        executor = registry.executor(settings().executor)
        items = list(enumerate(state.devset))
        workers = state.num_threads or DEFAULT_NUM_THREADS
        try:
            amap = getattr(executor, "amap", None)
            if amap is not None:
                outcomes = await amap(work, items, max_workers=workers)
            else:  # an executor without an async twin: run the coroutines one per worker thread
                outcomes = await asyncio.to_thread(executor.map, lambda item: asyncio.run(work(item)), items,
                                                   max_workers=workers)
        except BaseException:
            run.progress.close()
            raise
        return run.finish(outcomes)

    def describe(self, state: EvaluateState) -> dict[str, Any]:
        metric = state.metric
        return {"devset_size": len(state.devset), "metric": getattr(metric, "__name__", repr(metric)),
                "num_threads": state.num_threads or DEFAULT_NUM_THREADS,
                "max_errors": state.max_errors if state.max_errors is not None else DEFAULT_MAX_ERRORS,
                "failure_score": state.failure_score, "input_fields": ["program"],
                "output_fields": ["score", "results"]}
