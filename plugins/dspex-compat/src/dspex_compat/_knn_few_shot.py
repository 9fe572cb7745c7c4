"""DSPy's ``KNNFewShot``: at each call, BootstrapFewShot on the ``k`` training examples nearest to
the call's inputs, then the compiled program answers."""

from __future__ import annotations

import types
from typing import Any

from dspex_compat._bootstrap_few_shot import BootstrapFewShot
from dspex_compat._knn import KNN
from dspex_compat._teleprompter import Teleprompter

__all__ = ["KNNFewShot"]


class KNNFewShot(Teleprompter):
    def __init__(self, k: int, trainset: list[Any], vectorizer: Any, **few_shot_bootstrap_args: Any):
        self.KNN = KNN(k, trainset, vectorizer=vectorizer)
        self.few_shot_bootstrap_args = few_shot_bootstrap_args

    def compile(self, student: Any, *, teacher: Any = None) -> Any:
        student_copy = student.reset_copy()

        def forward_pass(_: Any, **kwargs: Any) -> Any:
            knn_trainset = self.KNN(**kwargs)
            compiled = BootstrapFewShot(**self.few_shot_bootstrap_args).compile(student, teacher=teacher,
                                                                                trainset=knn_trainset)
            return compiled(**kwargs)

        student_copy.forward = types.MethodType(forward_pass, student_copy)
        return student_copy
