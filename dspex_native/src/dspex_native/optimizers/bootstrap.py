"""DSPy 3.4's ``BootstrapFewShot.compile``, step for step.

1. The student is the program with its demos cleared; the teacher is the given teacher (or the
   program) with its demos, replaced by ``LabeledFewShot(max_labeled_demos)`` on the trainset
   unless it was compiled by a bootstrapping optimizer.
2. For each trainset example in order, until ``max_bootstrapped_demos`` examples succeeded, up to
   ``max_rounds`` rounds: run the teacher on the example's inputs (its demos without the
   example itself) in a fresh trace; round ``r > 0`` runs on the LM copied with
   ``rollout_id=r, temperature=1.0``. With a metric, ``metric(example, prediction, trace)``
   decides (``>= metric_threshold`` when one is set, else its truth). A success adds each traced
   predictor call as an augmented demo of that predictor (one per predictor and example, see
   :func:`~dspex_core.demo_rules.pick_one`).
3. The examples that did not succeed, shuffled with ``random.Random(0)``, top each predictor's
   augmented demos (at most ``max_bootstrapped_demos``) up to ``max_labeled_demos`` with a
   sample drawn by one ``random.Random(0)`` for all predictors in order.

A run or metric that raises counts as an error, is logged as DSPy logs it, and the example
fails; the ``max_errors``-th error (DSPy's default: 10) stops the compile with
:class:`~dspex_core.errors.EvaluationError` listing ``(trainset index, error)``.
DSPy prints a summary line; natively it goes to the ``dspex_native.optimizers`` logger, and a
progress line is drawn on stderr only when stderr is a terminal.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Callable, Mapping

from dspex_core.backend import Example
from dspex_core.config import context as settings_context
from dspex_core.errors import CapabilityError, EvaluationError, InputError

from dspex_native.lm.defaults import cached_copy
from dspex_core.demo_rules import augmented, labeled, pick_one
from dspex_native.optimizers.implementation import check_count
from dspex_native.optimizers.program import Program, is_compiled
from dspex_native.optimizers.progress import Progress
from dspex_native.predictor.trace import tracing

LOGGER = logging.getLogger("dspex_native.optimizers")
DEFAULT_MAX_ERRORS = 10  # dspy.settings.max_errors
#: What ``teacher_settings`` may hold natively (DSPy's ``dspy.context(**teacher_settings)``)
TEACHER_SETTINGS = frozenset({"lm", "adapter"})


class BootstrapConfig:
    """``BootstrapFewShot``'s options, with DSPy's defaults."""

    __slots__ = ("metric", "metric_threshold", "teacher_settings", "max_bootstrapped_demos", "max_labeled_demos",
                 "max_rounds", "max_errors")

    def __init__(self, metric: Callable[..., Any] | None = None, metric_threshold: Any = None,
                 teacher_settings: Mapping[str, Any] | None = None, max_bootstrapped_demos: int = 4,
                 max_labeled_demos: int = 16, max_rounds: int = 1, max_errors: int | None = None):
        self.metric = metric
        self.metric_threshold = metric_threshold
        self.teacher_settings = dict(teacher_settings or {})
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.max_rounds = max_rounds
        self.max_errors = max_errors


def check_teacher_settings(settings: Mapping[str, Any]) -> None:
    unknown = sorted(set(settings) - TEACHER_SETTINGS)
    if unknown:
        raise CapabilityError(f"teacher_settings {', '.join(map(repr, unknown))}: natively the teacher takes "
                              f"{' and '.join(sorted(TEACHER_SETTINGS))} only")


def check_bootstrap_config(module_type: str, config: Mapping[str, Any]) -> None:
    for name in ("max_bootstrapped_demos", "max_labeled_demos"):
        check_count(module_type, config, name)
    check_count(module_type, config, "max_rounds", 1)
    if config.get("max_errors") is not None:
        check_count(module_type, config, "max_errors", 1)
    settings = config.get("teacher_settings")
    if settings is not None:
        if not isinstance(settings, Mapping):
            raise InputError(f"{module_type}: teacher_settings must be a dict (e.g. {{'lm': teacher_lm}}), "
                             f"got {type(settings).__name__}")
        check_teacher_settings(settings)


def _fields(demo: Any) -> Any:
    """An :class:`Example` demo as its fields (a new dict); any other demo as it is."""
    return demo.toDict() if isinstance(demo, Example) else demo


def _same_example(demo: Any, fields: dict[str, Any]) -> bool:
    """DSPy's ``demo == example`` (their fields compare equal), for a demo held as a dict too;
    ``fields`` is the example's ``toDict()``, made once for all the demos it is compared with."""
    if type(demo) is dict:
        return demo == fields  # a plain dict compares as it is: no copy
    return (demo.toDict() if hasattr(demo, "toDict") else dict(demo)) == fields


def _signatures(program: Program) -> list[tuple[str, str]]:
    return [(name, getattr(getattr(state, "signature", None), "signature", repr(state)))
            for name, state in program.named_predictors()]


class Bootstrap:
    """One ``BootstrapFewShot.compile`` of ``student`` (with ``teacher``) on ``trainset``."""

    def __init__(self, config: BootstrapConfig, student: Program, teacher: Program | None, trainset: list[Any],
                 lm: Any):
        self.config = config
        self.student = student
        self.trainset = trainset
        self.names = student.predictor_names()
        self.teacher = teacher or student
        if teacher is not None and _signatures(teacher) != _signatures(student):
            raise InputError(f"the teacher must have the same predictors and signatures as the program: the program "
                             f"has {_signatures(student)}, the teacher {_signatures(teacher)}")
        teacher_demos = self.teacher.demos()
        if config.max_labeled_demos and not is_compiled(self.teacher.state):
            teacher_demos = labeled(self.names, trainset, config.max_labeled_demos)
        # Examples held as their fields, the dicts a predictor state keeps: every example's
        # teacher state is made from them, and compared with the example, without a new copy.
        self.teacher_demos = {name: [_fields(demo) for demo in demos] for name, demos in teacher_demos.items()}
        self.base_teacher = self.teacher.with_demos(self.teacher_demos)
        self.lm = config.teacher_settings.get("lm") or lm
        self.adapter = config.teacher_settings.get("adapter")
        self.limit = config.max_errors if config.max_errors is not None else DEFAULT_MAX_ERRORS
        self.errors: list[tuple[int, BaseException]] = []
        self.name2traces: dict[str, list[dict[str, Any]]] = {name: [] for name in self.names}
        self._last: tuple | None = None

    # -- 2. bootstrapping ------------------------------------------------------------------------
    def bootstrap(self, max_bootstraps: int | None = None) -> list[Any]:
        """The traces of successful examples; returns the examples left for labeled demos."""
        max_bootstraps = max_bootstraps or self.config.max_bootstrapped_demos
        bootstrapped: dict[int, bool] = {}
        attempts = 0
        example_idx = 0
        progress = Progress("Bootstrapping", len(self.trainset))
        for example_idx, example in enumerate(self.trainset):
            if len(bootstrapped) >= max_bootstraps:
                break
            for round_idx in range(self.config.max_rounds):
                attempts += 1
                if self.one(example_idx, example, round_idx):
                    bootstrapped[example_idx] = True
                    break
            progress.update(len(bootstrapped))
        progress.close()
        LOGGER.info("Bootstrapped %d full traces after %d examples for up to %d rounds, amounting to %d attempts.",
                    len(bootstrapped), example_idx, self.config.max_rounds, attempts)
        validation = [x for idx, x in enumerate(self.trainset) if idx not in bootstrapped]
        random.Random(0).shuffle(validation)
        return validation

    def _teacher_demos(self, example: Any) -> tuple[dict[str, list[Any]], Any]:
        """The teacher's demos without ``example`` (DSPy's ``x != example``), and its state with them
        (kept for the example's next round)."""
        last = self._last
        if last is not None and last[0] is example and last[1] is self.teacher_demos:
            return last[2]
        found = self._without(example)
        self._last = (example, self.teacher_demos, found)
        return found

    def _without(self, example: Any) -> tuple[dict[str, list[Any]], Any]:
        fields = example.toDict()
        kept = {name: [d for d in demos if not _same_example(d, fields)] for name, demos in self.teacher_demos.items()}
        if all(len(kept[name]) == len(demos) for name, demos in self.teacher_demos.items()):
            return self.teacher_demos, self.base_teacher
        return kept, self.teacher.with_demos(kept)

    def one(self, index: int, example: Any, round_idx: int) -> bool:
        """One round on one example (DSPy's ``_bootstrap_one_example``)."""
        demos, state = self._teacher_demos(example)
        lm = self.lm if round_idx == 0 else cached_copy(self.lm, rollout_id=round_idx, temperature=1.0)
        trace: list = []
        try:
            try:
                with tracing() as observer:
                    if self.adapter is not None:
                        with settings_context(adapter=self.adapter):
                            prediction = self.teacher.implementation.execute(state, example.inputs().toDict(), lm=lm)
                    else:
                        prediction = self.teacher.implementation.execute(state, example.inputs().toDict(), lm=lm)
                    trace = observer.trace
            except Exception:
                # DSPy puts the teacher's demos back only after a run that returns: after one that
                # raises, the example stays out of them for the rest of the compile.
                self.teacher_demos, self.base_teacher = demos, state
                raise
            if self.config.metric is not None:
                value = self.config.metric(example, prediction, trace)
                success = value >= self.config.metric_threshold if self.config.metric_threshold else value
            else:
                success = True
        except CapabilityError:
            raise  # something native does not do: the whole compile goes to another backend
        except Exception as error:  # noqa: BLE001 - DSPy's rule: count, log, go on until max_errors
            success = False
            self.errors.append((index, error))
            if len(self.errors) >= self.limit:
                first = self.errors[0][1]
                raise EvaluationError(f"bootstrapping stopped after {len(self.errors)} failed examples "
                                      f"(max_errors={self.limit}); the first, trainset[{self.errors[0][0]}]: "
                                      f"{type(first).__name__}: {first}", list(self.errors)) from error
            LOGGER.error("Failed to run or to evaluate example %s with %s due to %s.", example, self.config.metric,
                         error)
        if success:
            self._keep(state, trace)
        return bool(success)

    def _keep(self, state: Any, trace: list) -> None:
        names = {id(predictor): name for name, predictor in self.teacher.named_predictors(state)}
        found: dict[str, list[dict[str, Any]]] = {}
        for predictor, inputs, outputs in trace:
            name = names.get(id(predictor))
            if name is None:
                continue  # DSPy skips a predictor the teacher does not name
            found.setdefault(name, []).append(augmented(inputs, outputs))
        for name, demos in found.items():
            self.name2traces[name].extend([pick_one(demos)] if len(demos) > 1 else demos)

    # -- 3. the student's demos --------------------------------------------------------------------
    def train(self, validation: list[Any]) -> dict[str, list[Any]]:
        rng = random.Random(0)
        out = {}
        for name in self.names:
            augmented_demos = self.name2traces[name][:self.config.max_bootstrapped_demos]
            size = max(0, min(self.config.max_labeled_demos - len(augmented_demos), len(validation)))
            out[name] = augmented_demos + rng.sample(validation, size)
        return out


def bootstrap_few_shot(config: BootstrapConfig, student: Program, teacher: Program | None, trainset: list[Any],
                       lm: Any) -> Any:
    """The compiled program's state."""
    run = Bootstrap(config, student, teacher, trainset, lm)
    return student.with_demos(run.train(run.bootstrap()))
