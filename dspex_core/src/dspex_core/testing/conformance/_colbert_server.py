"""A ColBERTv2-compatible server on ``127.0.0.1`` for one retriever run, recording what it is sent.

A retriever case starts one for each run (the backend's and the reference's), so every run
starts with an empty record and no run can hit a cache another run filled (DSPy's
``request_cache`` keeps ColBERTv2 answers on disk): the server's URL holds a path segment of its
own (``/<nonce>/api/search``), which the record leaves out, so two runs' requests compare equal
when they asked the same thing.

It answers what ``dspy.ColBERTv2`` asks: ``GET <path>?query=...&k=...`` or ``POST <path>`` with
a JSON ``{"query", "k"}``, with ``{"topk": [{"text", "pid", "rank", "score", "prob"}, ...]}``,
the corpus ranked by the words each passage shares with the query, or as the case's
:data:`REPLIES` says otherwise (long texts, more entries than asked for, an HTTP error, an error
object, no ``topk``, entries without text, no JSON). Each request is recorded as it arrived
(method, path with its query string, body, and the headers the two clients must agree on).
Only the standard library is used.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: How the server answers: ``ranked`` (the default), ``long_text`` (odd entries carry a
#: ``long_text``), ``all`` (the whole corpus whatever ``k`` is), ``status_500``, ``status_404``,
#: ``error`` (``{"error": true, ...}``), ``no_topk``, ``no_text`` (entries without a text),
#: ``not_json``.
REPLIES = ("ranked", "long_text", "all", "status_500", "status_404", "error", "no_topk", "no_text", "not_json")
#: The request headers compared (the clients' own, such as ``User-Agent``, are not).
HEADERS = ("content-type", "content-length", "authorization", "accept")


def ranked(query: str, k: int, corpus: list[str]) -> list[dict[str, Any]]:
    """The first ``k`` passages of ``corpus`` by the words they share with ``query`` (then by position)."""
    words = set(query.lower().split())
    order = sorted(range(len(corpus)), key=lambda i: (-len(words & set(corpus[i].lower().split())), i))
    return [{"text": corpus[i], "pid": i, "rank": rank + 1, "score": 10.0 - rank, "prob": 1.0 / (rank + 2)}
            for rank, i in enumerate(order[:max(k, 0)])]


def answer(reply: str, query: str, k: int, corpus: list[str]) -> tuple[int, bytes]:
    """``(status, body)`` for one search."""
    if reply.startswith("status_"):
        return int(reply.split("_")[1]), b"the index is not available"
    if reply == "error":
        return 200, b'{"error": true, "message": "no such index"}'
    if reply == "no_topk":
        return 200, b'{"results": []}'
    if reply == "not_json":
        return 200, b"<html>not json</html>"
    entries = ranked(query, len(corpus) if reply == "all" else k, corpus)
    if reply == "long_text":
        for entry in entries[1::2]:
            entry["long_text"] = f"{entry['text']} (long)"
    if reply == "no_text":
        entries = [{"pid": e["pid"], "score": e["score"]} for e in entries] or [{"pid": 0}]
    return 200, json.dumps({"topk": entries}, ensure_ascii=False).encode()


class ColBERTv2Server:
    """Serves one run (see the module docstring); use it as a context manager."""

    def __init__(self, corpus: list[str], reply: str = "ranked"):
        if reply not in REPLIES:
            raise ValueError(f"unknown reply {reply!r}; the server knows {', '.join(REPLIES)}")
        self.corpus = list(corpus)
        self.reply = reply
        self.nonce = uuid.uuid4().hex[:12]
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="kit-colbert-server", daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT/<nonce>``: the server's own prefix (a URL with credentials is made from it)."""
        return f"http://127.0.0.1:{self._http.server_address[1]}/{self.nonce}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/search"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The requests received so far, in order: ``method``, ``path`` (without the nonce),
        ``body`` (text), and each of :data:`HEADERS` (``None`` when not sent)."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def record(self, method: str, path: str, headers: Any, body: bytes) -> None:
        prefix = f"/{self.nonce}"
        entry = {"method": method, "path": path[len(prefix):] if path.startswith(prefix) else path,
                 "body": body.decode("utf-8", "replace")}
        entry.update({name: headers.get(name) for name in HEADERS})
        with self._lock:
            self._requests.append(entry)

    def __enter__(self) -> "ColBERTv2Server":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)


def _handler(server: ColBERTv2Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            server.record("GET", self.path, self.headers, b"")
            params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
            try:
                query, k = params["query"][-1], int(params["k"][-1])
            except (KeyError, ValueError):
                return self._send(400, b'{"error": true, "message": "bad request"}')
            self._send(*answer(server.reply, query, k, server.corpus))

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            server.record("POST", self.path, self.headers, body)
            try:
                payload = json.loads(body)
                query, k = payload["query"], int(payload["k"])
            except (KeyError, ValueError, TypeError):
                return self._send(400, b'{"error": true, "message": "bad request"}')
            self._send(*answer(server.reply, str(query), k, server.corpus))

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
