"""DSPy's ``LabeledFewShot``: every predictor gets ``k`` training examples as demos."""

from __future__ import annotations

from typing import Any

from dspex_compat._teleprompter import Teleprompter

__all__ = ["LabeledFewShot"]


class LabeledFewShot(Teleprompter):
    def __init__(self, k: int = 16):
        self.k = k

    def compile(self, student: Any, *, trainset: list[Any], sample: bool = True) -> Any:
        self.student = student.reset_copy()
        self.trainset = trainset
        if len(trainset) == 0:
            return self.student
        from dspex_core.demo_rules import labeled  # hashlib and pickle: only when an optimizer runs

        names = [name for name, _ in self.student.named_predictors()]
        demos = labeled(names, trainset, self.k, sample=sample)
        for name, predictor in self.student.named_predictors():
            predictor.demos = demos[name]
        return self.student
