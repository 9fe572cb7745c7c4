"""DSPy's ``Embedder`` for a function the user gives (``dspy.Embedder(model.encode)``).

A hosted embedding model named by a string (``"openai/text-embedding-3-small"``) goes through
LiteLLM in dspy; dspex has no embeddings client, so such an ``Embedder`` is a ``CapabilityError``
naming it when made. numpy is imported when embeddings are computed, as in dspy.
"""

from __future__ import annotations

from typing import Any, Callable

import dspex_core

__all__ = ["Embedder"]


class Embedder:
    def __init__(self, model: str | Callable, batch_size: int = 200, caching: bool = True, **kwargs: Any):
        if isinstance(model, str):
            raise dspex_core.CapabilityError(
                f"dspy.Embedder({model!r}): hosted embedding models are not built in dspex-compat; "
                "pass a function from texts to vectors, e.g. dspy.Embedder(SentenceTransformer(...).encode)")
        if not callable(model):
            raise ValueError("`model` in `dspy.Embedder` must be a string or a callable")
        self.model = model
        self.batch_size = batch_size
        self.caching = caching
        self.default_kwargs = kwargs

    def __call__(self, inputs: str | list[str], batch_size: int | None = None, caching: bool | None = None,
                 **kwargs: Any) -> Any:
        import numpy as np

        single = isinstance(inputs, str)
        texts = [inputs] if single else inputs
        if not all(isinstance(text, str) for text in texts):
            raise ValueError("All inputs must be strings.")
        size = batch_size or self.batch_size
        merged = {**self.default_kwargs, **kwargs}
        vectors: list[Any] = []
        for start in range(0, len(texts), size):
            vectors.extend(self.model(texts[start:start + size], **merged))
        embeddings = np.array(vectors, dtype=np.float32)
        return embeddings[0] if single else embeddings

    async def acall(self, inputs: str | list[str], batch_size: int | None = None, caching: bool | None = None,
                    **kwargs: Any) -> Any:
        return self(inputs, batch_size=batch_size, caching=caching, **kwargs)
