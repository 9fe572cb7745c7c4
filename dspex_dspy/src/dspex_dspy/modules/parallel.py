"""``parallel`` through ``dspy.Parallel``: run one module over many examples at once.

``create(ref, num_threads=None, max_errors=None, access_examples=True,
return_failed_examples=False, provide_traceback=None, disable_progress_bar=True, timeout=120,
straggler_limit=3)`` then ``execute(state, {"examples": [...]})``, the native backend's
contract (docs/module-types.md). The wrapped ``ModuleRef`` becomes the dspy module to run: a
dspy-backend reference's stored module, or a ``predict``/``chain_of_thought`` of another
backend rebuilt as dspy's (:func:`dspex_dspy._reward_loop.wrapped_module`; any other foreign
type is a :class:`~dspex_core.errors.CapabilityError` at create). ``dspy.Parallel`` runs it on
every example, in its threads, with its rules (``max_errors``, stragglers, ``access_examples``);
each example's call goes through the wrapped module's implementation as a direct call of it
would (its LM and adapter, dspy's errors as dspex's, a dspex ``Prediction``), in a copy of the
caller's context so that ``dspex.context(...)`` settings reach dspy's worker threads.

Results are ``Prediction(results=[...])`` in input order (``None`` where a call failed); with
``return_failed_examples``, ``failed_examples`` (the examples as given) and ``exceptions`` in
input order (dspy lists them as they finish; input order is the native backend's, and
deterministic). A fresh ``dspy.Parallel`` serves each call: one instance keeps the failed
examples of every call it made. When dspy cancels at ``max_errors`` (a bare ``Exception``),
the run raises :class:`~dspex_core.errors.EvaluationError` worded as the native backend's.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Mapping

import dspy
from dspex_core.backend import Example, ModuleRef, Prediction, parallel_rules as rules
from dspex_core.errors import CapabilityError, EvaluationError, InputError

from dspex_dspy import store
from dspex_dspy._base import DspyImplementation
from dspex_dspy.translate import to_dspy_example

_NO_STATE = ("parallel has no learned state to {what}: dspy.Parallel is not a dspy.Module (no predictors, nothing "
             "of it is saved); save, dump or load the wrapped module instead")


class ParallelConfig:
    """What ``create`` stores: the wrapped reference, the implementation and state that run it
    on the dspy backend, and the checked options."""

    __slots__ = ("ref", "implementation", "state", *rules.DEFAULTS)

    def __init__(self, ref: ModuleRef, implementation: Any, state: Any, **values: Any):
        self.ref, self.implementation, self.state = ref, implementation, state
        for key in rules.DEFAULTS:
            setattr(self, key, values[key])


def _runner(ref: ModuleRef) -> tuple[Any, Any]:
    """(the dspy-backend implementation, its state) that runs ``ref``'s module."""
    from dspex_dspy._context import resolve_adapter
    from dspex_dspy._reward_loop import wrapped_module
    from dspex_dspy.plugin import implementation_for

    if ref.backend == "dspy":
        store.entry(ref.state)  # a module whose session ended fails here, not on every example
        return implementation_for(ref.module_type), ref.state
    module, lm = wrapped_module(ref)  # rebuilt as dspy's, or a CapabilityError naming the type
    implementation = implementation_for(ref.module_type)
    adapter = ref.options.get("adapter")
    adapter = resolve_adapter(adapter or "chat") if adapter is not None else None
    return implementation, implementation.store(module, lm=lm, adapter=adapter)


class _Job:
    """One ``execute``: calls the wrapped module for dspy's workers and notes each failure."""

    def __init__(self, config: ParallelConfig, forwarded: dict[str, Any]):
        self.run = config.implementation.execute
        self.state = config.state
        self.forwarded = forwarded
        self.parent = contextvars.copy_context()
        self.lock = threading.Lock()
        self.failures: list[tuple[int, Exception]] = []

    def call(self, index: int, inputs: dict[str, Any]) -> Any:
        try:
            return self.parent.copy().run(self.run, self.state, inputs, **self.forwarded)
        except Exception as exc:
            with self.lock:
                self.failures.append((index, exc))
            raise

    def first_failures(self) -> dict[int, Exception]:
        """index -> the first exception of that example's calls."""
        with self.lock:
            found: dict[int, Exception] = {}
            for index, error in self.failures:
                found.setdefault(index, error)
            return found


class _Call:
    """What ``dspy.Parallel`` calls for one example: ``call(**inputs)``, or ``call(example)``
    with the whole ``Example`` when ``access_examples=False`` (its fields are then the inputs)."""

    __slots__ = ("job", "index")

    def __init__(self, job: _Job, index: int):
        self.job, self.index = job, index

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            (example,) = args
            kwargs = dict(example.items(include_dspy=True))
        return self.job.call(self.index, kwargs)

    def __repr__(self) -> str:  # dspy logs a failed example as its (module, example) pair
        return f"examples[{self.index}]"


class ParallelImpl(DspyImplementation):
    """``dspy.Parallel`` over the wrapped module (see the module docstring)."""

    module_type = "parallel"
    create_options = frozenset(rules.DEFAULTS)
    call_options = frozenset({"num_threads", "lm", "config", "demos"})
    needs_lm = False  # the wrapped module resolves its own LM, per example
    has_state = False
    unwrappable = False

    def create(self, spec: Any, **options: Any) -> str:
        if not isinstance(spec, ModuleRef):
            raise InputError(f"parallel wraps a module: pass the ModuleRef to run over the examples "
                             f"(dspex.Parallel.create(dspex.Predict.create('question -> answer'))), "
                             f"got {type(spec).__name__}")
        values = rules.check_options(options)
        implementation, state = _runner(spec)
        return store.put(self.module_type, ParallelConfig(spec, implementation, state, **values),
                         meta={"inputs": None})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        config, _ = store.entry(state)
        threads, forwarded = rules.check_call_options(options)
        examples, asked = rules.examples_of(inputs)
        threads = rules.call_threads(threads, asked)
        rules.call_inputs(examples, config.access_examples)  # refuses what no module can be called with
        job = _Job(config, forwarded)
        pairs, index_of = [], {}
        for index, example in enumerate(examples):
            item = to_dspy_example(example) if isinstance(example, Example) else dict(example)
            index_of[id(item)] = index
            pairs.append((_Call(job, index), item))
        parallel = dspy.Parallel(num_threads=threads or config.num_threads, max_errors=config.max_errors,
                                 access_examples=config.access_examples, return_failed_examples=True,
                                 provide_traceback=config.provide_traceback,
                                 disable_progress_bar=config.disable_progress_bar, timeout=config.timeout,
                                 straggler_limit=config.straggler_limit)
        try:
            results, failed, _ = parallel(pairs)
        except Exception:
            if len(job.failures) < config.max_errors:
                raise  # not dspy's cancellation at max_errors
            failures = sorted(job.first_failures().items())
            index, first = failures[0]
            raise EvaluationError(
                f"parallel stopped: {len(failures)} of {len(examples)} examples failed "
                f"(max_errors={config.max_errors}); first failure, examples[{index}]: {type(first).__name__}: {first}",
                failures) from first
        if not config.return_failed_examples:
            return Prediction(results=results)
        errors = job.first_failures()
        indices = sorted({index_of[id(item)] for item in failed})
        return Prediction(results=results, failed_examples=[examples[i] for i in indices],
                          exceptions=[errors[i] for i in indices])

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        import asyncio

        return await asyncio.to_thread(self.execute, state, inputs, **options)  # dspy.Parallel has no async twin

    def describe(self, state: str) -> dict[str, Any]:
        config, _ = store.entry(state)
        outputs = ["results", "failed_examples", "exceptions"] if config.return_failed_examples else ["results"]
        return {"module_id": state, "module": config.ref.describe(),
                **{key: getattr(config, key) for key in rules.DEFAULTS},
                "inputs": ["examples"], "outputs": outputs}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError(_NO_STATE.format(what="save"))

    def dump_state(self, state: str) -> dict[str, Any]:
        raise CapabilityError(_NO_STATE.format(what="dump"))

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        raise CapabilityError(_NO_STATE.format(what="load"))


implementation = ParallelImpl()
