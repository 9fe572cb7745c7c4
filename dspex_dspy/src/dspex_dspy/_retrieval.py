"""``retrieve`` and ``colbert_v2`` through ``dspy.Retrieve`` and ``dspy.ColBERTv2``.

A retriever (``rm``) is whatever ``create(rm=...)`` or ``dspex.configure(rm=...)`` gives:
a callable ``(query, k) -> list[str]``, a dspy retriever (``dspy.ColBERTv2(...)``, an
embeddings retriever), or a dspex ``colbert_v2``/``retrieve`` module reference. dspy's
``Retrieve`` reads ``dspy.settings.rm``; it is set per call with ``dspy.context(rm=...)``,
never globally.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core import Prediction
from dspex_core._module_ref import ModuleRef
from dspex_core.config import settings
from dspex_core.errors import DspexError, InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy.store import entry

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


def _check_query(kwargs: Mapping[str, Any], module_type: str) -> tuple[str, Any]:
    query = kwargs.get("query")
    if not isinstance(query, str):
        raise InputError(f"{module_type} needs query= (a string), got {query!r}")
    k = kwargs.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise InputError(f"k must be a positive integer, got {k!r}")
    return query, k


class RetrieveImpl(DspyImplementation):
    """``dspy.Retrieve(k)`` with the retriever of ``create(rm=)`` or ``dspex.configure(rm=)``."""

    module_type = "retrieve"
    create_options = frozenset({"k", "rm"})
    call_options = frozenset({"rm"})
    needs_lm = False

    def create(self, spec: Any, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"retrieve takes no spec (got {spec!r}); use Retrieve.create(k=..., rm=...)")
        check = {k: v for k, v in options.items() if k not in ("k", "rm")}
        from dspex_dspy._base import check_options

        check_options(self.module_type, check, frozenset())
        k = options.get("k", 3)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        rm = options.get("rm")
        if rm is not None:
            as_dspy_rm(rm)  # a bad rm fails now
        from dspex_dspy import store

        return store.put(self.module_type, dspy.Retrieve(k=k), meta={"rm": rm, "inputs": None})

    def describe(self, state: str) -> dict[str, Any]:
        module, meta = entry(state)
        return {"module_id": state, "k": module.k, "rm": repr(meta["rm"]) if meta["rm"] is not None else None}

    def save(self, state: str, path: Any) -> None:
        from dspex_core.errors import CapabilityError

        raise CapabilityError("retrieve has no learned state to save (only k); create it again with k=")

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, meta = entry(state)
        unknown = sorted(set(inputs) - {"query", "k"})
        if unknown:
            raise InputError(f"retrieve takes query= and k=, not {', '.join(map(repr, unknown))}")
        query, k = _check_query(inputs, self.module_type)
        rm = options.pop("rm", None)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for retrieve")
        rm = rm if rm is not None else meta["rm"] if meta["rm"] is not None else settings().rm
        if rm is None:
            raise InputError(NO_RM)
        with dspy.context(rm=as_dspy_rm(rm)):
            pred = module(query=query, k=k)
        return Prediction(passages=list(pred.passages))

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(self.execute, state, inputs, **options)


class ColBERTv2Impl(DspyImplementation):
    """``dspy.ColBERTv2(url=...)``: ``execute(query=..., k=...)`` gives ``Prediction(passages=[...])``."""

    module_type = "colbert_v2"
    create_options = frozenset({"url", "port", "post_requests"})
    call_options = frozenset()
    needs_lm = False

    def build(self, spec: Any, *, url: Any = None, port: Any = None, post_requests: bool = False) -> Any:
        if spec is not None and url is None and isinstance(spec, str):
            url = spec
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(f"colbert_v2 needs url= (the server's http(s) URL), got {url!r}")
        return dspy.ColBERTv2(url=url, port=port, post_requests=bool(post_requests))

    def input_names(self, module: Any) -> Any:
        return frozenset({"query", "k"}), frozenset({"query"})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, _ = entry(state)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for colbert_v2")
        unknown = sorted(set(inputs) - {"query", "k"})
        if unknown:
            raise InputError(f"colbert_v2 takes query= and k=, not {', '.join(map(repr, unknown))}")
        query, k = _check_query(inputs, self.module_type)
        try:
            found = module(query, k=k if k is not None else 10)
            # dspy's GET path adds long_text, its POST path does not: read either
            passages = [p.get("long_text", p.get("text")) for p in found]
        except Exception as exc:
            raise DspexError(f"the ColBERTv2 server at {module.url} failed: {type(exc).__name__}: {exc}") from exc
        return Prediction(passages=passages)

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(self.execute, state, inputs, **options)

    def describe(self, state: str) -> dict[str, Any]:
        module, _ = entry(state)
        return {"module_id": state, "url": module.url}

    def save(self, state: str, path: Any) -> None:
        from dspex_core.errors import CapabilityError

        raise CapabilityError("colbert_v2 has no learned state to save (it is a server URL)")
