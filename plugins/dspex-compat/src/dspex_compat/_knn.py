"""DSPy's ``KNN``: the ``k`` training examples nearest to a call's inputs, by embedding dot product."""

from __future__ import annotations

from typing import Any

__all__ = ["KNN"]


class KNN:
    def __init__(self, k: int, trainset: list[Any], vectorizer: Any):
        import numpy as np

        self.k = k
        self.trainset = trainset
        self.embedding = vectorizer
        texts = [" | ".join(f"{key}: {value}" for key, value in example.items() if key in example.input_keys)
                 for example in trainset]
        self.trainset_vectors = self.embedding(texts).astype(np.float32)

    def __call__(self, **kwargs: Any) -> list[Any]:
        import numpy as np

        query = self.embedding([" | ".join(f"{key}: {value}" for key, value in kwargs.items())])
        scores = np.dot(self.trainset_vectors, query.T).squeeze()
        nearest = scores.argsort()[-self.k:][::-1]
        return [self.trainset[i] for i in nearest]
