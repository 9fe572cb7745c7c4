"""The native ``evaluate`` module type: score a program on a devset, as ``dspy.Evaluate`` does.

``create(devset=[...], metric=fn, num_threads=8, max_errors=10, failure_score=0.0,
display_progress=None, provide_traceback=False, executor=None)`` then ``execute(state, {"program": p})``.
The program is a ``ModuleRef`` or any callable taking an example's inputs as keyword
arguments; the metric is ``metric(example, prediction)`` (a ``metrics`` ModuleRef, or the
name of a native example/prediction metric such as ``"answer_exact_match"``, works too).

Examples run through the executor named by ``executor=`` (a create or call option), else the
configured one (``dspex.settings().executor``, threads by default; ``aexecute`` uses its ``amap``
on the event loop). An executor with ``run`` (``asyncio``, ``ray``) gets the program and metric
as a :class:`dspex_core.executors.Work`, which it may send to other processes as the program's
saved state; the bookkeeping below (failures, ``max_errors``, progress, the score) stays here.
An example whose program or metric raises scores ``failure_score`` with an empty ``Prediction``; once ``max_errors``
examples have failed the run stops and raises :class:`EvaluationError` (DSPy's rule, with
DSPy's default of 10). An executor that returns fewer or more outcomes than examples, or none
for an example it never ran, is a :class:`PluginError` naming it, not a score over fewer
examples. The result is ``Prediction(score=round(100 * sum / n, 2),
results=[(example, prediction, score), ...])`` in devset order, the sum taken in that order
so that the score equals DSPy's to the last digit (the machinery is :mod:`dspex_native.evaluation`).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction, score_rules
from dspex_core.errors import InputError
from dspex_core.executors import check_results

from dspex_native.evaluation.calls import async_program_caller, metric_caller, program_caller
from dspex_native.evaluation.options import DEFAULT_MAX_ERRORS, check_options
from dspex_native.evaluation.run import Run

DEFAULT_NUM_THREADS = 8  # dspy.settings.num_threads
_OPTIONS = ("devset", "metric", "num_threads", "max_errors", "failure_score", "display_progress",
            "provide_traceback", "executor")
_CALL_OPTIONS = ("devset", "metric", "num_threads", "display_progress", "executor")


class EvaluateState:
    """The state of an ``evaluate`` module: its configuration (checked once, at create)."""

    __slots__ = _OPTIONS

    def __init__(self, **values: Any):
        for key in _OPTIONS:
            setattr(self, key, values[key])

    def replace(self, **changes: Any) -> "EvaluateState":
        return EvaluateState(**{**{k: getattr(self, k) for k in _OPTIONS}, **changes})

    def __repr__(self) -> str:
        return f"EvaluateState(devset=<{len(self.devset)} examples>, metric={self.metric!r})"


class EvaluateImplementation(Implementation):
    """``create(devset=..., metric=..., ...)``; ``execute(state, {"program": p}) -> Prediction``."""

    module_type = "evaluate"

    def create(self, spec: Any = None, **options: Any) -> EvaluateState:
        if spec is not None:
            raise InputError("evaluate takes no spec; pass devset=[...] and metric=... as options")
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise InputError(f"evaluate got unknown options {sorted(unknown)}; allowed: {', '.join(_OPTIONS)}")
        if "devset" not in options:
            raise InputError("evaluate needs devset=[...]: a non-empty list of Example(...).with_inputs(...)")
        values = {"metric": None, "num_threads": None, "max_errors": None, "failure_score": 0.0,
                  "display_progress": None, "provide_traceback": False, "executor": None, **options}
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
        return state, metric_caller(state.metric)

    def execute(self, state: EvaluateState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        from dspex_core import registry, settings

        state, metric = self._prepare(state, inputs, options)
        name = state.executor or settings().executor
        executor = registry.executor(name)
        if callable(getattr(executor, "run", None)):
            return self._execute_work(state, inputs["program"], name)
        call = program_caller(inputs["program"])
        run = Run(state)
        nones = score_rules.NoneScores(state.failure_score)  # a metric that returned None: raised at the end

        def work(item: tuple[int, Any]) -> Any:
            index, example = item
            if run.cancelled:
                return None
            try:
                prediction = call(example)
                score = nones.check(example, metric(example, prediction))
            except Exception as exc:  # noqa: BLE001 - scored as a failure, counted against max_errors
                return run.failed(index, example, exc)
            run.progress.update(score)
            return prediction, score

        items = list(enumerate(state.devset))
        try:
            outcomes = check_results(name, items, executor.map(work, items,
                                                               max_workers=state.num_threads or DEFAULT_NUM_THREADS))
        except BaseException:
            run.progress.close()
            raise
        result = run.finish(outcomes, name)
        nones.raise_if_any(state.devset, state.metric)
        return result

    def _execute_work(self, state: EvaluateState, program: Any, name: str) -> Prediction:
        """The run on an executor with ``run``: it calls program and metric on each example (maybe in
        another process); failures, ``max_errors``, progress and the score are decided here."""
        from dspex_core.executors import ExecutorFailure, Work, run_work

        run = Run(state)
        nones = score_rules.NoneScores(state.failure_score)
        outcomes: list[Any] = [None] * len(state.devset)

        def settle(index: int, outcome: Any) -> None:
            example = state.devset[index]
            if outcome is None or outcomes[index] is not None:
                return
            if isinstance(outcome, ExecutorFailure):
                outcomes[index] = run.failed(index, example, outcome.error)
                return
            prediction, score = outcome
            outcomes[index] = prediction, nones.check(example, score)
            run.progress.update(outcomes[index][1])

        try:
            _, results = run_work(Work(program, state.metric), state.devset, executor=name,
                                  max_workers=state.num_threads or DEFAULT_NUM_THREADS, on_result=settle,
                                  cancelled=lambda: run.cancelled)
            for index, outcome in enumerate(results):  # an executor that did not report every result
                settle(index, outcome)
        except BaseException:
            run.progress.close()
            raise
        result = run.finish(outcomes, name)
        nones.raise_if_any(state.devset, state.metric)
        return result

    async def aexecute(self, state: EvaluateState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        import asyncio
        import inspect

        from dspex_core import registry, settings

        state, metric = self._prepare(state, inputs, options)
        name = state.executor or settings().executor
        if callable(getattr(registry.executor(name), "run", None)):  # its own loop or workers: off this loop
            return await asyncio.to_thread(self._execute_work, state, inputs["program"], name)
        call = async_program_caller(inputs["program"])
        run = Run(state)
        nones = score_rules.NoneScores(state.failure_score)

        async def work(item: tuple[int, Any]) -> Any:
            index, example = item
            if run.cancelled:
                return None
            try:
                prediction = await call(example)
                score = metric(example, prediction)
                if inspect.isawaitable(score):
                    score = await score
                score = nones.check(example, score)
            except Exception as exc:  # noqa: BLE001
                return run.failed(index, example, exc)
            run.progress.update(score)
            return prediction, score

        name = state.executor or settings().executor
        executor = registry.executor(name)
        items = list(enumerate(state.devset))
        workers = state.num_threads or DEFAULT_NUM_THREADS
        try:
            amap = getattr(executor, "amap", None)
            if amap is not None:
                outcomes = await amap(work, items, max_workers=workers)
            else:  # an executor without an async twin: run the coroutines one per worker thread
                outcomes = await asyncio.to_thread(executor.map, lambda item: asyncio.run(work(item)), items,
                                                   max_workers=workers)
            outcomes = check_results(name, items, outcomes)
        except BaseException:
            run.progress.close()
            raise
        result = run.finish(outcomes, name)
        nones.raise_if_any(state.devset, state.metric)
        return result

    def describe(self, state: EvaluateState) -> dict[str, Any]:
        metric = state.metric
        return {"devset_size": len(state.devset), "metric": getattr(metric, "__name__", repr(metric)),
                "num_threads": state.num_threads or DEFAULT_NUM_THREADS,
                "max_errors": state.max_errors if state.max_errors is not None else DEFAULT_MAX_ERRORS,
                "failure_score": state.failure_score, "input_fields": ["program"],
                "output_fields": ["score", "results"]}


implementation = EvaluateImplementation()
