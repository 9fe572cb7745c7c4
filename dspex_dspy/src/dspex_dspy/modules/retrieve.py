"""``retrieve`` through ``dspy.Retrieve``.

A retriever (``rm``) is whatever ``create(rm=...)`` or ``dspex.configure(rm=...)`` gives:
a callable ``(query, k) -> list[str]``, a dspy retriever (``dspy.ColBERTv2(...)``, an
embeddings retriever), or a dspex ``colbert_v2``/``retrieve`` module reference. dspy's
``Retrieve`` reads ``dspy.settings.rm``; it is set per call with ``dspy.context(rm=...)``,
never globally, so that concurrent calls with different retrievers do not see each other's.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import ModuleRef, Prediction
from dspex_core.config import settings
from dspex_core.errors import CapabilityError, InputError

from dspex_dspy import store
from dspex_dspy._base import check_options
from dspex_dspy._retriever import RetrieverImplementation

NO_RM = "no retriever configured: dspex.configure(rm=...) or Retrieve.create(rm=...)"


def _passage(item: Any) -> Any:
    from dspy.dsp.utils import dotdict

    if isinstance(item, str):
        return dotdict(long_text=item)
    if hasattr(item, "long_text"):
        return item
    if isinstance(item, Mapping):
        text = item.get("long_text", item.get("text"))
        if isinstance(text, str):
            return dotdict({**item, "long_text": text})
    raise InputError(f"the retriever returned {item!r}; a retriever returns passages as strings "
                     f"(or dicts with 'text'/'long_text')")


def as_dspy_rm(rm: Any) -> Any:
    """A callable dspy's Retrieve can use: ``rm(query, k=k) -> [passage with .long_text]``."""
    if isinstance(rm, ModuleRef):
        def from_ref(query: str, k: int = 3, **_: Any) -> list[Any]:
            return [_passage(p) for p in rm(query=query, k=k).passages]

        return from_ref
    if not callable(rm):
        raise InputError(f"rm must be a callable (query, k) -> list[str], a dspy retriever or a dspex retriever "
                         f"module, got {type(rm).__name__}")

    def call(query: str, k: int = 3, **kwargs: Any) -> list[Any]:
        found = rm(query, k=k, **kwargs)
        if isinstance(found, (str, bytes)) or not hasattr(found, "__iter__"):
            found = [found]
        return [_passage(p) for p in found]

    return call


class RetrieveImpl(RetrieverImplementation):
    """``dspy.Retrieve(k)`` with the retriever of ``create(rm=)`` or ``dspex.configure(rm=)``."""

    module_type = "retrieve"
    create_options = frozenset({"k", "rm"})
    call_options = frozenset({"rm"})

    def create(self, spec: Any, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"retrieve takes no spec (got {spec!r}); use Retrieve.create(k=..., rm=...)")
        check_options(self.module_type, {k: v for k, v in options.items() if k not in ("k", "rm")}, frozenset())
        k = options.get("k", 3)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        rm = options.get("rm")
        if rm is not None:
            as_dspy_rm(rm)  # a bad rm fails now
        return store.put(self.module_type, dspy.Retrieve(k=k), meta={"rm": rm, "inputs": None})

    def describe(self, state: str) -> dict[str, Any]:
        module, meta = store.entry(state)
        return {"module_id": state, "k": module.k, "rm": repr(meta["rm"]) if meta["rm"] is not None else None,
                "inputs": ["query"], "outputs": ["passages"]}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("retrieve has no learned state to save (only k); create it again with k=")

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, meta = store.entry(state)
        query, k = self.query_and_k(inputs)
        rm = options.pop("rm", None)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for retrieve")
        rm = rm if rm is not None else meta["rm"] if meta["rm"] is not None else settings().rm
        if rm is None:
            raise InputError(NO_RM)
        with dspy.context(rm=as_dspy_rm(rm)):
            pred = module(query=query, k=k)
        return Prediction(passages=list(pred.passages))


implementation = RetrieveImpl()
