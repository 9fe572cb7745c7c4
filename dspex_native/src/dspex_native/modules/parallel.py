"""The native ``parallel`` module type: run one module over many examples at once, as ``dspy.Parallel``.

``create(ref, num_threads=None, max_errors=None, access_examples=True,
return_failed_examples=False, provide_traceback=None, disable_progress_bar=True, timeout=120,
straggler_limit=3)`` then ``execute(state, {"examples": [...]})``. The wrapped module is any
``ModuleRef``, of any backend: every example is one call of it through the public API
(``dspex.execute``/``dspex.aexecute``, so routing, fallback and telemetry apply per call),
``num_threads`` at a time on the configured executor, with the caller's ``dspex.context``
settings. The result is ``Prediction(results=[...])`` in input order, ``None`` where an
example's call failed; with ``return_failed_examples`` also ``failed_examples`` and
``exceptions`` (in input order; DSPy lists them as they finish). ``max_errors`` failures stop
the run with :class:`~dspex_core.errors.EvaluationError`. The call options ``lm``, ``config``
and ``demos`` go to every call of the wrapped module; ``num_threads`` (a call option, or an input
beside ``examples`` as in ``dspy.Parallel.forward``) overrides create's.

A ``dspy.Parallel`` is not a ``dspy.Module``: it has no predictors and nothing of it is saved,
so ``save``/``dump_state``/``load_state`` are a :class:`~dspex_core.errors.CapabilityError`
(save the wrapped module instead). The machinery is :mod:`dspex_native.parallel`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, ModuleRef, Prediction, parallel_rules as rules
from dspex_core.errors import CapabilityError, InputError

from dspex_native.parallel.run import Run


class ParallelState:
    """The state of a ``parallel`` module: the wrapped module and the checked options."""

    __slots__ = ("module", *rules.DEFAULTS)

    def __init__(self, module: ModuleRef, **values: Any):
        self.module = module
        for key in rules.DEFAULTS:
            setattr(self, key, values[key])

    def __repr__(self) -> str:
        return f"ParallelState(module={self.module!r}, num_threads={self.num_threads})"


class ParallelImplementation(Implementation):
    """``create(ref, **options) -> ParallelState``; ``execute(state, {"examples": [...]}) -> Prediction``."""

    module_type = "parallel"

    def create(self, spec: Any = None, **options: Any) -> ParallelState:
        if not isinstance(spec, ModuleRef):
            raise InputError(f"parallel wraps a module: pass the ModuleRef to run over the examples "
                             f"(dspex.Parallel.create(dspex.Predict.create('question -> answer'))), "
                             f"got {type(spec).__name__}")
        return ParallelState(spec, **rules.check_options(options))

    async def acreate(self, spec: Any = None, **options: Any) -> ParallelState:
        return self.create(spec, **options)  # no I/O: a worker thread would only cost time

    def _prepare(self, state: ParallelState, inputs: Mapping[str, Any], options: dict[str, Any]) -> tuple:
        threads, forwarded = rules.check_call_options(options)
        examples, asked = rules.examples_of(inputs)
        threads = rules.call_threads(threads, asked)
        calls = rules.call_inputs(examples, state.access_examples)
        run = Run(examples, max_errors=state.max_errors, timeout=state.timeout,
                  straggler_limit=state.straggler_limit, provide_traceback=state.provide_traceback,
                  show_progress=not state.disable_progress_bar, return_failed_examples=state.return_failed_examples)
        return run, calls, forwarded, threads or state.num_threads

    def execute(self, state: ParallelState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        from dspex_core import execute

        from dspex_native.parallel.threads import run_in_threads

        run, calls, forwarded, threads = self._prepare(state, inputs, options)
        module = state.module
        try:
            run_in_threads(run, lambda values: execute(module, values, **forwarded), calls, threads)
        finally:
            if run.progress is not None:
                run.progress.close()
        return run.finish()

    async def aexecute(self, state: ParallelState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        from dspex_core import aexecute

        from dspex_native.parallel.tasks import run_in_tasks

        run, calls, forwarded, threads = self._prepare(state, inputs, options)
        module = state.module
        try:
            await run_in_tasks(run, lambda values: aexecute(module, values, **forwarded), calls, threads)
        finally:
            if run.progress is not None:
                run.progress.close()
        return run.finish()

    def describe(self, state: ParallelState) -> dict[str, Any]:
        outputs = ["results", "failed_examples", "exceptions"] if state.return_failed_examples else ["results"]
        return {"module": state.module.describe(), **{key: getattr(state, key) for key in rules.DEFAULTS},
                "inputs": ["examples"], "outputs": outputs}

    def save(self, state: ParallelState, path: Any) -> None:
        raise CapabilityError(_NO_STATE.format(what="save"))

    def dump_state(self, state: ParallelState) -> dict[str, Any]:
        raise CapabilityError(_NO_STATE.format(what="dump"))

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ParallelState:
        raise CapabilityError(_NO_STATE.format(what="load"))


#: Shared by both backends, word for word.
_NO_STATE = ("parallel has no learned state to {what}: dspy.Parallel is not a dspy.Module (no predictors, nothing "
             "of it is saved); save, dump or load the wrapped module instead")


implementation = ParallelImplementation()
