"""``colbert_v2`` through ``dspy.ColBERTv2``: a ColBERTv2 server as a retriever."""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import Prediction
from dspex_core.errors import CapabilityError, DspexError, InputError

from dspex_dspy import store
from dspex_dspy._retriever import RetrieverImplementation


class ColBERTv2Impl(RetrieverImplementation):
    """``dspy.ColBERTv2(url=...)``: ``execute(query=..., k=...)`` gives ``Prediction(passages=[...])``."""

    module_type = "colbert_v2"
    create_options = frozenset({"url", "port", "post_requests"})
    call_options = frozenset()
    has_state = False  # the stored object is dspy's client of the server

    def build(self, spec: Any, *, url: Any = None, port: Any = None, post_requests: bool = False) -> Any:
        if spec is not None and url is None and isinstance(spec, str):
            url = spec
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(f"colbert_v2 needs url= (the server's http(s) URL), got {url!r}")
        return dspy.ColBERTv2(url=url, port=port, post_requests=bool(post_requests))

    def input_names(self, module: Any) -> Any:
        return frozenset({"query", "k"}), frozenset({"query"})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, _ = store.entry(state)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for colbert_v2")
        query, k = self.query_and_k(inputs)
        try:
            found = module(query, k=k if k is not None else 10)
            # dspy's GET path adds long_text, its POST path does not: read either
            passages = [p.get("long_text", p.get("text")) for p in found]
        except Exception as exc:
            raise DspexError(f"the ColBERTv2 server at {module.url} failed: {type(exc).__name__}: {exc}") from exc
        return Prediction(passages=passages)

    def describe(self, state: str) -> dict[str, Any]:
        module, _ = store.entry(state)
        return {"module_id": state, "url": module.url}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("colbert_v2 has no learned state to save (it is a server URL)")


implementation = ColBERTv2Impl()
