"""DSPy's retrieval: ``Retrieve`` (the configured ``rm``'s passages) and ``ColBERTv2`` (a server).

Both are served by dspex's ``retrieve`` and ``colbert_v2`` module types, so a ColBERTv2 server
gets DSPy's requests from native's client. ``Retrieve`` is a parameter (its state is ``k``), not a
predictor, as in DSPy.
"""

from __future__ import annotations

import random
from typing import Any

import dspex_core

from dspex_compat._dotdict import dotdict
from dspex_compat._parameter import Parameter
from dspex_compat._settings import settings

__all__ = ["Retrieve", "ColBERTv2"]


class ColBERTv2:
    """A ColBERTv2 server (DSPy's ``dspy.ColBERTv2``): ``rm(query, k=10)`` returns its passages."""

    def __init__(self, url: str = "http://0.0.0.0", port: str | int | None = None, post_requests: bool = False):
        self.url = url
        self.port = port
        self.post_requests = post_requests
        options: dict[str, Any] = {"url": url, "post_requests": post_requests}
        if port is not None:
            options["port"] = port
        self.ref = dspex_core.create("colbert_v2", **options)

    def __call__(self, query: str, k: int = 10, simplify: bool = False) -> list[Any]:
        passages = self.ref(query=query, k=k).passages
        if simplify:
            return list(passages)
        return [dotdict(long_text=text) for text in passages]


class Retrieve(Parameter):
    """Retrieve ``k`` passages for a query with ``dspy.settings.rm`` (DSPy's ``dspy.Retrieve``)."""

    name = "Search"
    input_variable = "query"
    desc = "takes a search query and returns one or more potentially relevant passages from a corpus"

    def __init__(self, k: int = 3, callbacks: list | None = None):
        self.stage = random.randbytes(8).hex()
        self.k = k
        self.callbacks = callbacks or []

    def reset(self) -> None:
        pass

    def dump_state(self, json_mode: bool = True) -> dict[str, Any]:
        return {"k": self.k}

    def load_state(self, state: dict[str, Any]) -> "Retrieve":
        for name, value in state.items():
            setattr(self, name, value)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_dspex_ref", None)
        return state

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, query: str, k: int | None = None, **kwargs: Any) -> Any:
        rm = settings.rm
        if not rm:
            raise AssertionError("No RM is loaded.")
        served = rm.ref if isinstance(rm, ColBERTv2) else rm
        cached = self.__dict__.get("_dspex_ref")
        if cached is None or cached[0] is not served:
            cached = self.__dict__["_dspex_ref"] = (served, dspex_core.create("retrieve", rm=served))
        return cached[1](query=query, k=self.k if k is None else k)
