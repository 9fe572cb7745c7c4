"""``colbert_v2`` through ``dspy.ColBERTv2``: a ColBERTv2 server as a retriever.

dspy makes the requests (GET or POST, its 10 s timeout, its ``request_cache``: memory and
disk). Before any request, by the rules both backends share (``dspex_core.backend.colbert_rules``),
the URL (``http(s)://`` with a host), the port and the call's ``query``/``k`` are checked, and
``k > 100`` on the GET form is refused as dspy's own ``assert k <= 100`` would (an
:class:`InputError` rather than an ``AssertionError``). A failing server (an HTTP error, a
connection failure, an ``"error"`` or no ``"topk"`` in the answer) is an :class:`LMError`
naming the URL without credentials, as on the native backend.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import Prediction, colbert_rules, redact, strip_credentials, url_secrets
from dspex_core.errors import CapabilityError, InputError, LMError

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
        colbert_rules.server_url(url, port)
        return dspy.ColBERTv2(url=url, port=port, post_requests=bool(post_requests))

    def input_names(self, module: Any) -> Any:
        return frozenset({"query", "k"}), frozenset({"query"})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, _ = store.entry(state)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for colbert_v2")
        query, k = self.query_and_k(inputs)
        k = k if k is not None else 10
        colbert_rules.check_k(k, module.post_requests)
        public = strip_credentials(module.url)
        try:
            found = module(query, k=k)
            # dspy's GET path adds long_text, its POST path does not: read either
            if any("long_text" not in p and "text" not in p for p in found):
                raise ValueError(f"a 'topk' entry has no 'text' (nor 'long_text'): {[dict(p) for p in found]}")
            passages = [p.get("long_text", p.get("text")) for p in found]
        except Exception as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            detail = redact(f"{type(exc).__name__}: {exc}", *url_secrets(module.url), limit=300)
            raise LMError(f"the ColBERTv2 server at {public} failed: {detail}",
                          model=public, status=status, attempts=1) from None
        return Prediction(passages=passages)

    def describe(self, state: str) -> dict[str, Any]:
        module, _ = store.entry(state)
        return {"module_id": state, "url": strip_credentials(module.url), "post_requests": module.post_requests,
                "inputs": ["query"], "outputs": ["passages"]}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("colbert_v2 has no learned state to save (it is a server URL)")


implementation = ColBERTv2Impl()
