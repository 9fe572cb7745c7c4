"""``colbert_v2`` through ``dspy.ColBERTv2``: a ColBERTv2 server as a retriever.

dspy makes the requests (GET or POST, its 10 s timeout, its ``request_cache``: memory and
disk). Before any request, the URL (``http(s)://`` with a host), the port and the call's
``query``/``k`` are checked, and ``k > 100`` on the GET form is refused as dspy's own
``assert k <= 100`` would (an :class:`InputError` rather than an ``AssertionError``). A failing
server (an HTTP error, a connection failure, an ``"error"`` or no ``"topk"`` in the answer) is
an :class:`LMError` naming the URL without credentials, as on the native backend.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

import dspy
from dspex_core.backend import Prediction, redact, strip_credentials, url_credentials
from dspex_core.errors import CapabilityError, InputError, LMError

from dspex_dspy import store
from dspex_dspy._retriever import RetrieverImplementation

#: dspy's ``assert k <= 100`` in ``colbertv2_get_request_v2``.
MAX_GET_K = 100
GET_K_MESSAGE = "Only k <= 100 is supported for the hosted ColBERTv2 server at the moment."


def _check_url(url: Any, port: Any) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InputError(f"colbert_v2 needs url= (the server's http(s) URL), got {strip_credentials(str(url))!r}")
    if port:  # DSPy appends it when truthy
        number = port if isinstance(port, int) and not isinstance(port, bool) else (
            int(port) if isinstance(port, str) and port.isdigit() else None)
        if number is None or not 0 < number < 65536:
            raise InputError(f"colbert_v2 port= must be a port number (1 to 65535), got {port!r}")
        url = f"{url}:{port}"
    try:
        host = urlsplit(url).hostname
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise InputError(f"colbert_v2 url= is not a valid URL ({exc}): {strip_credentials(url)!r}") from None
    if not host:
        raise InputError(f"colbert_v2 url= has no host: {strip_credentials(url)!r}")


def _url_secrets(url: str) -> tuple[str, ...]:
    """``user:password`` and the password alone (as written and unquoted; 4 characters or more)."""
    userinfo = url_credentials(url)
    if not userinfo:
        return ()
    password = userinfo.partition(":")[2]
    found = [userinfo, unquote(userinfo), *((password, unquote(password)) if len(password) >= 4 else ())]
    return tuple(sorted(set(found), key=len, reverse=True))


class ColBERTv2Impl(RetrieverImplementation):
    """``dspy.ColBERTv2(url=...)``: ``execute(query=..., k=...)`` gives ``Prediction(passages=[...])``."""

    module_type = "colbert_v2"
    create_options = frozenset({"url", "port", "post_requests"})
    call_options = frozenset()
    has_state = False  # the stored object is dspy's client of the server

    def build(self, spec: Any, *, url: Any = None, port: Any = None, post_requests: bool = False) -> Any:
        if spec is not None and url is None and isinstance(spec, str):
            url = spec
        _check_url(url, port)
        return dspy.ColBERTv2(url=url, port=port, post_requests=bool(post_requests))

    def input_names(self, module: Any) -> Any:
        return frozenset({"query", "k"}), frozenset({"query"})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, _ = store.entry(state)
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for colbert_v2")
        query, k = self.query_and_k(inputs)
        k = k if k is not None else 10
        if not module.post_requests and k > MAX_GET_K:
            raise InputError(f"colbert_v2 k={k}: {GET_K_MESSAGE} (DSPy asserts k <= 100 on GET requests; "
                             f"post_requests=True has no such limit)")
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
            detail = redact(f"{type(exc).__name__}: {exc}", *_url_secrets(module.url), limit=300)
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
