"""DSPy's ``BootstrapFewShot``: demos from the teacher's successful traces on the training set.

The teacher (a copy of the student with labeled demos, unless given) runs on each training
example under ``dspy.context(trace=[])``; when the metric accepts the prediction, each predictor
call in the trace becomes an augmented demo of that predictor (one per predictor and example, by
DSPy's seeded pick, :mod:`dspex_core.demo_rules`). The student gets up to
``max_bootstrapped_demos`` of those and labeled examples from the rest up to ``max_labeled_demos``.
Every predictor call is a dspex reference, so the runs are served by native.
"""

from __future__ import annotations

import random
import threading
from typing import Any, Callable

import dspex_core

from dspex_compat._labeled_few_shot import LabeledFewShot
from dspex_compat._settings import settings
from dspex_compat._teleprompter import Teleprompter

__all__ = ["BootstrapFewShot"]


def _logger() -> Any:
    import logging

    return logging.getLogger("dspy.teleprompt.bootstrap")


class BootstrapFewShot(Teleprompter):
    def __init__(self, metric: Callable | None = None, metric_threshold: float | None = None,
                 teacher_settings: dict | None = None, max_bootstrapped_demos: int = 4,
                 max_labeled_demos: int = 16, max_rounds: int = 1, max_errors: int | None = None):
        self.metric = metric
        self.metric_threshold = metric_threshold
        self.teacher_settings = {} if teacher_settings is None else teacher_settings
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.max_rounds = max_rounds
        self.max_errors = max_errors
        self.error_count = 0
        self.error_lock = threading.Lock()

    def compile(self, student: Any, *, teacher: Any = None, trainset: list[Any]) -> Any:
        self.trainset = trainset
        self._prepare_student_and_teacher(student, teacher)
        self._prepare_predictor_mappings()
        self._bootstrap()
        self.student = self._train()
        self.student._compiled = True
        return self.student

    def _prepare_student_and_teacher(self, student: Any, teacher: Any) -> None:
        self.student = student.reset_copy()
        self.teacher = teacher.deepcopy() if teacher is not None else student.deepcopy()
        assert getattr(self.student, "_compiled", False) is False, "Student must be uncompiled."
        if self.max_labeled_demos and getattr(self.teacher, "_compiled", False) is False:
            self.teacher = LabeledFewShot(k=self.max_labeled_demos).compile(self.teacher.reset_copy(),
                                                                           trainset=self.trainset)

    def _prepare_predictor_mappings(self) -> None:
        name2predictor: dict[str, Any] = {}
        predictor2name: dict[int, str] = {}
        student, teacher = self.student, self.teacher
        assert len(student.predictors()) == len(teacher.predictors()), \
            "Student and teacher must have the same number of predictors."
        for (name1, predictor1), (name2, predictor2) in zip(student.named_predictors(), teacher.named_predictors(),
                                                            strict=False):
            assert name1 == name2, "Student and teacher must have the same program structure."
            assert predictor1.signature.equals(predictor2.signature), (
                f"Student and teacher must have the same signatures. "
                f"{type(predictor1.signature)} != {type(predictor2.signature)}")
            assert id(predictor1) != id(predictor2), "Student and teacher must be different objects."
            name2predictor[name1] = None
            predictor2name[id(predictor1)] = name1
            predictor2name[id(predictor2)] = name2
        self.name2predictor = name2predictor
        self.predictor2name = predictor2name

    def _bootstrap(self, *, max_bootstraps: int | None = None) -> None:
        max_bootstraps = max_bootstraps or self.max_bootstrapped_demos
        attempts = 0
        bootstrapped: dict[int, bool] = {}
        self.name2traces: dict[str, list[Any]] = {name: [] for name in self.name2predictor}
        example_idx = 0
        for example_idx, example in enumerate(self.trainset):
            if len(bootstrapped) >= max_bootstraps:
                break
            for round_idx in range(self.max_rounds):
                attempts += 1
                if self._bootstrap_one_example(example, round_idx):
                    bootstrapped[example_idx] = True
                    break
        print(f"Bootstrapped {len(bootstrapped)} full traces after {example_idx} examples "
              f"for up to {self.max_rounds} rounds, amounting to {attempts} attempts.")
        self.validation = [x for idx, x in enumerate(self.trainset) if idx not in bootstrapped]
        random.Random(0).shuffle(self.validation)

    def _bootstrap_one_example(self, example: Any, round_idx: int = 0) -> bool:
        name2traces: dict[str, list[Any]] = {}
        teacher = self.teacher
        predictor_cache: dict[str, Any] = {}
        trace: list[Any] = []
        try:
            with settings.context(trace=[], **self.teacher_settings):
                lm = settings.lm
                lm = lm.copy(rollout_id=round_idx, temperature=1.0) if round_idx > 0 else lm
                with settings.context(**({"lm": lm} if round_idx > 0 else {})):
                    for name, predictor in teacher.named_predictors():
                        predictor_cache[name] = predictor.demos
                        predictor.demos = [x for x in predictor.demos if x != example]
                    prediction = teacher(**example.inputs())
                    trace = settings.trace
                    for name, predictor in teacher.named_predictors():
                        predictor.demos = predictor_cache[name]
                if self.metric:
                    metric_val = self.metric(example, prediction, trace)
                    success = metric_val >= self.metric_threshold if self.metric_threshold else metric_val
                else:
                    success = True
        except Exception as exc:  # noqa: BLE001 - DSPy counts failures up to max_errors
            success = False
            with self.error_lock:
                self.error_count += 1
                count = self.error_count
            limit = self.max_errors if self.max_errors is not None else settings.max_errors
            if count >= limit:
                raise
            _logger().error(f"Failed to run or to evaluate example {example} with {self.metric} due to {exc}.")
        if success:
            for predictor, inputs, outputs in trace:
                demo = dspex_core.Example(augmented=True, **inputs, **outputs)
                name = self.predictor2name.get(id(predictor))
                if name is None:
                    continue
                name2traces.setdefault(name, []).append(demo)
            for name, demos in name2traces.items():
                if len(demos) > 1:
                    from dspex_core.demo_rules import pick_one

                    demos = [dspex_core.Example(pick_one([d.toDict() for d in demos]))]
                self.name2traces[name].extend(demos)
        return bool(success)

    def _train(self) -> Any:
        rng = random.Random(0)
        raw_demos = self.validation
        for name, predictor in self.student.named_predictors():
            augmented_demos = self.name2traces[name][: self.max_bootstrapped_demos]
            sample_size = max(0, min(self.max_labeled_demos - len(augmented_demos), len(raw_demos)))
            predictor.demos = augmented_demos + rng.sample(raw_demos, sample_size)
        return self.student
