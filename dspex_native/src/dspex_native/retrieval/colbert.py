"""DSPy's ColBERTv2 client (``dspy.dsp.colbertv2``) over httpx, request for request.

The requests are the ones ``requests`` makes for DSPy, so that a server sees no difference:

* GET (the default): ``GET <url>?query=<query>&k=<k>``, the parameters form-encoded as
  ``requests`` encodes ``params={"query": query, "k": k}`` (``urllib.parse.urlencode``: spaces
  as ``+``, UTF-8 percent-escapes) and appended to a query string the URL already has with ``&``;
* POST (``post_requests=True``): ``POST <url>`` with ``Content-Type: application/json;
  charset=utf-8`` and the body ``requests`` writes for ``json={"query": query, "k": k}``
  (``json.dumps`` with its default separators and ``ensure_ascii``, UTF-8);
* a ``user:password@`` in the URL is sent as HTTP basic auth (both clients do) and never
  appears in an error; redirects are followed, as ``requests`` does; the timeout is DSPy's 10 s.

The answer is read as DSPy reads it: a 4xx/5xx status, a body that is not a JSON object, a
truthy ``"error"`` (its ``"message"`` is reported) or no ``"topk"`` is a failure; ``topk`` is cut
to ``k`` entries; the GET form adds ``long_text`` (the entry's ``text``) to every entry, the POST
form returns the entries as they are. A failure, like a connection error or a timeout, is an
:class:`~dspex_core.errors.LMError` naming the URL without credentials and the HTTP status; it is
not retried (DSPy does not retry) and not cached. ``k > 100`` on the GET form is refused before
anything is sent, as DSPy's ``assert k <= 100`` does (DSPy has no such limit on the POST form).

Cache: DSPy wraps both requests in ``request_cache``, keyed on (function, url, query, k), so a
request is made once per process for the same form, URL, query and ``k``, and a hit is a deep
copy. The same holds here, in an in-process LRU of DSPy's memory size (1,000,000 entries).
DSPy's *disk* layer (``~/.dspy_cache``, shared by processes) is **not** reproduced: a new
process asks the server again, and nothing is written to the user's dspy cache directory.
:func:`clear_cache` empties the cache (as ``dspy.cache.reset_memory_cache()`` does DSPy's).
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from dspex_core.backend import LRUCache, colbert_rules, redact, strip_credentials, url_secrets
from dspex_core.errors import LMError

from dspex_native.lm import _pool

#: DSPy's ``requests`` timeout for the ColBERTv2 server, in seconds.
TIMEOUT = 10.0
#: DSPy's ``Cache(memory_max_entries=1000000)``.
CACHE_SIZE = 1_000_000
POST_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_POOL_KEY = ("colbert_v2", "", TIMEOUT)

_cache: LRUCache[tuple[str, str, str, int], list[dict[str, Any]]] = LRUCache(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached ColBERTv2 answer of this process."""
    _cache.clear()


def get_url(url: str, query: str, k: int) -> str:
    """The URL ``requests.get(url, params={"query": query, "k": k})`` requests."""
    params = urlencode({"query": query, "k": k})
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=f"{parts.query}&{params}" if parts.query else params))


def post_body(query: str, k: int) -> bytes:
    """The body ``requests.post(url, json={"query": query, "k": k})`` sends."""
    return json.dumps({"query": query, "k": k}, allow_nan=False).encode("utf-8")


class ColBERTv2Client:
    """One server (``url`` as DSPy builds it, credentials included) and its request form."""

    __slots__ = ("url", "post_requests", "public_url", "_secrets")

    def __init__(self, url: str, post_requests: bool = False):
        self.url = url
        self.post_requests = bool(post_requests)
        self.public_url = strip_credentials(url)
        self._secrets = url_secrets(url)

    # -- the calls -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        """The server's ``topk`` entries for ``query``, as DSPy's request function returns them."""
        key = self._key(query, k)
        hit = _cache.get(key)
        if hit is not None:
            return copy.deepcopy(hit)
        method, url, content, headers = self._request(query, k)
        try:
            response = _pool.sync_client(_POOL_KEY).request(
                method, url, content=content, headers=headers, follow_redirects=True)
        except Exception as exc:  # httpx's transport errors and timeouts
            raise self._transport_error(exc) from None
        return self._keep(key, self._read(response.status_code, response.content, k))

    async def asearch(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        """:meth:`search` on the event loop (httpx's async client, the same request and cache)."""
        key = self._key(query, k)
        hit = _cache.get(key)
        if hit is not None:
            return copy.deepcopy(hit)
        method, url, content, headers = self._request(query, k)
        try:
            response = await _pool.async_client(_POOL_KEY).request(
                method, url, content=content, headers=headers, follow_redirects=True)
        except Exception as exc:
            raise self._transport_error(exc) from None
        return self._keep(key, self._read(response.status_code, response.content, k))

    # -- the request and its answer ------------------------------------------------------------
    def _key(self, query: str, k: int) -> tuple[str, str, str, int]:
        colbert_rules.check_k(k, self.post_requests)
        return ("POST" if self.post_requests else "GET", self.url, query, k)

    def _request(self, query: str, k: int) -> tuple[str, str, bytes | None, dict[str, str] | None]:
        if self.post_requests:
            return "POST", self.url, post_body(query, k), POST_HEADERS
        return "GET", get_url(self.url, query, k), None, None

    @staticmethod
    def _keep(key: tuple[str, str, str, int], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _cache.put(key, copy.deepcopy(entries))
        return entries

    def _fail(self, reason: str, status: int | None = None) -> LMError:
        detail = redact(reason, *self._secrets, limit=300)
        return LMError(f"the ColBERTv2 server at {self.public_url} failed: {detail}",
                       model=self.public_url, status=status, attempts=1)

    def _transport_error(self, exc: Exception) -> Exception:
        import httpx

        if not isinstance(exc, (httpx.TransportError, httpx.InvalidURL, httpx.TooManyRedirects)):
            return exc
        kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection error"
        return self._fail(f"{kind}: {type(exc).__name__}: {exc or 'no detail'}")

    def _read(self, status: int, content: bytes, k: int) -> list[dict[str, Any]]:
        if status >= 400:
            text = content.decode("utf-8", "replace").strip()
            raise self._fail(f"HTTP {status}{': ' + text if text else ''}", status)
        try:
            data = json.loads(content)
        except ValueError:
            raise self._fail(f"HTTP {status}, the response is not JSON: {content[:200]!r}", status) from None
        if not isinstance(data, dict):
            raise self._fail(f"the response is not a JSON object: {_show(data)}", status)
        if data.get("error"):
            raise self._fail(f"ColBERTv2 server returned an error: {data.get('message', 'Unknown error')}", status)
        if "topk" not in data:
            raise self._fail(f"ColBERTv2 server returned an unexpected response: {_show(data)}", status)
        topk = data["topk"]
        if not isinstance(topk, list) or not all(isinstance(entry, dict) for entry in topk[:k]):
            raise self._fail(f"'topk' is not a list of objects: {_show(topk)}", status)
        topk = topk[:k]
        if self.post_requests:
            if any("long_text" not in entry and "text" not in entry for entry in topk):
                raise self._fail(f"a 'topk' entry has no 'text' (nor 'long_text'): {_show(topk)}", status)
            return topk
        if any("text" not in entry for entry in topk):
            raise self._fail(f"a 'topk' entry has no 'text': {_show(topk)}", status)
        return [{**entry, "long_text": entry["text"]} for entry in topk]

    def __repr__(self) -> str:
        return f"ColBERTv2Client(url={self.public_url!r}, post_requests={self.post_requests})"


def passage_texts(entries: list[dict[str, Any]]) -> list[Any]:
    """The passages of the entries: ``long_text`` (GET adds it), else ``text`` (the POST form)."""
    return [entry.get("long_text", entry.get("text")) for entry in entries]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 200 else text[:200] + "..."
