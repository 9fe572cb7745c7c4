"""``evaluate`` through ``dspy.Evaluate``: score a program on a devset with a metric.

``Evaluate.create(devset=[...], metric=fn, ...)`` then ``execute({"program": ref})``: dspy
runs the program on every example (in threads), calls ``metric(example, prediction,
trace=None)`` with dspex ``Example``/``Prediction`` objects, and returns
``Prediction(score=percent, results=[(example, prediction, score), ...])``.

dspy's ``Evaluate`` runs the examples in dspy's own threads: ``executor="threads"`` (a create or
call option, as native's) is accepted, and any other executor is a :class:`CapabilityError`
naming it (the native ``evaluate`` serves ``asyncio``, ``ray`` and plugins' executors).

Failures follow dspy: a program *or metric* that raises on an example scores
``failure_score`` and counts towards ``max_errors``; when dspy cancels the run at
``max_errors``, an :class:`~dspex_core.EvaluationError` lists ``(devset index, exception)``
for every failure, as the native backend's does.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Mapping

import dspy
from dspex_core.backend import Example, ModuleRef, Prediction, score_rules
from dspex_core.errors import CapabilityError, EvaluationError, InputError

from dspex_dspy._base import DspyImplementation, check_options
from dspex_dspy._observe import context_settings
from dspex_dspy.store import entry, put
from dspex_dspy.translate import from_dspy_example, from_dspy_prediction, to_dspy_example, to_dspy_prediction


def _name(fn: Any) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _check_executor(name: Any) -> None:
    """``None`` and ``"threads"`` are what dspy's Evaluate does; another executor is not served here."""
    if name is None or name == "threads":
        return
    if not isinstance(name, str):
        raise InputError(f"executor must be the name of a registered executor, got {type(name).__name__}")
    from dspex_core import registry

    if name not in registry.executor_names():
        raise InputError(f"no executor named {name!r}; installed: {', '.join(registry.executor_names())}")
    raise CapabilityError(f"the dspy backend's evaluate runs in dspy's own threads; executor {name!r} is served "
                          f"by the native evaluate (implementation='native')")


class EvaluateImpl(DspyImplementation):
    """``dspy.Evaluate``: create options ``devset`` (required), ``metric``, ``num_threads``,
    ``max_errors``, ``failure_score``, ``display_progress``, ``provide_traceback``."""

    module_type = "evaluate"
    create_options = frozenset({"devset", "metric", "num_threads", "max_errors", "failure_score",
                                "display_progress", "provide_traceback", "executor"})
    needs_lm = False
    has_state = False  # the stored object is the configuration: devset, metric, threads
    unwrappable = False

    def create(self, spec: Any, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"evaluate takes no spec (got {spec!r}); use Evaluate.create(devset=..., metric=...)")
        check_options(self.module_type, options, self.create_options)
        _check_executor(options.get("executor"))
        devset = options.get("devset")
        if devset is None or isinstance(devset, (str, bytes, Mapping)) or not hasattr(devset, "__len__"):
            raise InputError("evaluate needs devset= (a non-empty list of dspex.Example(...).with_inputs(...))")
        if len(devset) == 0:
            raise InputError("evaluate needs a non-empty devset; got an empty list")
        examples = []
        for index, example in enumerate(devset):
            if isinstance(example, Mapping) and not isinstance(example, Example):
                raise InputError(f"devset[{index}] is a dict; use dspex.Example(...).with_inputs(...) so the "
                                 f"inputs are known")
            if not isinstance(example, (Example, dspy.Example)):
                raise InputError(f"devset[{index}] is a {type(example).__name__}, not a dspex.Example")
            if getattr(example, "input_keys", None) is None and getattr(example, "_input_keys", None) is None:
                raise InputError(f"devset[{index}] has no inputs marked: call .with_inputs('question', ...) on it")
            examples.append(from_dspy_example(example))
        metric = options.get("metric")
        if metric is not None and not callable(metric):
            raise InputError(f"metric must be a callable (example, prediction, trace=None) -> score, got {metric!r}")
        failure_score = options.get("failure_score", 0.0)
        config = {
            "devset": examples, "metric": metric, "num_threads": options.get("num_threads"),
            "max_errors": options.get("max_errors"), "failure_score": failure_score,
            "display_progress": bool(options.get("display_progress", False)),
            "provide_traceback": options.get("provide_traceback"),
        }
        return put(self.module_type, config, meta={"inputs": None})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        config, _ = entry(state)
        unknown = sorted(set(inputs) - {"program"})
        if unknown:
            raise InputError(f"evaluate takes program= (a ModuleRef or callable), not {', '.join(unknown)}")
        program = inputs.get("program")
        if not isinstance(program, ModuleRef) and not callable(program):
            raise InputError(f"evaluate needs program= (a ModuleRef or a callable), got {program!r}")
        metric = options.pop("metric", None) or config["metric"]
        _check_executor(options.pop("executor", None))
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for evaluate; accepted: metric, executor")
        if metric is None:
            raise InputError("evaluate needs a metric: Evaluate.create(devset=..., metric=fn) with "
                             "fn(example, prediction, trace=None) -> score")
        return self._run(config, program, metric)

    def _run(self, config: dict[str, Any], program: Any, metric: Any) -> Prediction:
        parent = contextvars.copy_context()  # dspex settings and session, for dspy's worker threads
        originals = {}
        dspy_devset = []
        for example in config["devset"]:
            converted = to_dspy_example(example)
            originals[id(converted)] = example
            dspy_devset.append(converted)
        lock = threading.Lock()
        nones = score_rules.NoneScores(config["failure_score"])  # a metric that returned None: raised at the end
        failures: list[tuple[int, BaseException]] = []
        predictions: dict[int, Any] = {}
        index_of = {id(example): index for index, example in enumerate(dspy_devset)}
        inputs_of = [dict(example.inputs()) for example in dspy_devset]

        def run_program(**kwargs: Any) -> Any:
            try:
                result = parent.copy().run(program, **kwargs)
            except Exception as exc:
                with lock:  # dspy passes the inputs only: find the example they came from
                    taken = {i for i, _ in failures}
                    index = next((i for i, inputs in enumerate(inputs_of) if inputs == kwargs and i not in taken), -1)
                    failures.append((index, exc))
                raise
            return to_dspy_prediction(result)

        def run_metric(example: Any, pred: Any, trace: Any = None) -> Any:
            dspex_pred = from_dspy_prediction(pred)
            original = originals.get(id(example)) or from_dspy_example(example)
            try:
                score = metric(original, dspex_pred, trace)
            except Exception as exc:
                with lock:
                    failures.append((index_of.get(id(example), -1), exc))
                raise
            predictions[id(example)] = dspex_pred  # a failed example keeps dspy's empty Prediction
            return nones.check(original, score)

        evaluator = dspy.Evaluate(devset=dspy_devset, metric=run_metric, num_threads=config["num_threads"],
                                  display_progress=config["display_progress"], max_errors=config["max_errors"],
                                  provide_traceback=config["provide_traceback"],
                                  failure_score=config["failure_score"])
        try:
            with dspy.context(**context_settings()):  # dspex's callbacks: dspy fires its evaluate events
                result = evaluator(run_program)
        except Exception:
            if not failures:
                raise
            failures.sort(key=lambda item: item[0])
            index, first = failures[0]
            limit = config["max_errors"] if config["max_errors"] is not None else dspy.settings.max_errors
            raise EvaluationError(
                f"evaluation stopped: {len(failures)} examples failed (max_errors={limit}); "
                f"first failure, devset[{index}]: {type(first).__name__}: {first}", list(failures)) from first
        nones.raise_if_any(config["devset"], metric)
        results = []
        for example, pred, score in result.results:
            original = originals.get(id(example)) or from_dspy_example(example)
            results.append((original, predictions.get(id(example)) or from_dspy_prediction(pred), score))
        return Prediction(score=result.score, results=results)

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(self.execute, state, inputs, **options)

    def describe(self, state: str) -> dict[str, Any]:
        config, _ = entry(state)
        return {"module_id": state, "devset_size": len(config["devset"]),
                "metric": _name(config["metric"]) if config["metric"] is not None else None}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("evaluate has no program state to save; save the program you evaluate")


implementation = EvaluateImpl()
