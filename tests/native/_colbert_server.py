"""A ColBERTv2-compatible server on 127.0.0.1 for the retriever tests (native and parity).

It answers what ``dspy.ColBERTv2`` asks: ``GET <path>?query=...&k=...`` or ``POST <path>`` with a
JSON ``{"query", "k"}``, with ``{"topk": [{"text", "pid", "rank", "score", "prob"}, ...]}``, the
corpus ranked by the words it shares with the query. Every request is recorded as it arrived
(method, raw path with its query string, headers, body), so that tests can compare the requests
two clients make. ``server.reply`` replaces the answer: ``(status, body bytes)`` or a callable
``(query, k) -> (status, body bytes)``; ``server.delay`` holds every answer that many seconds.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

CORPUS = ["Paris is the capital of France.", "Berlin is the capital of Germany.", "Rome is in Italy.",
          "Madrid is in Spain.", "Lisbon is the capital of Portugal.", "Vienna is in Austria."]


def ranked(query: str, k: int, corpus: list[str] = CORPUS) -> list[dict[str, Any]]:
    words = set(query.lower().split())
    order = sorted(range(len(corpus)), key=lambda i: (-len(words & set(corpus[i].lower().rstrip(".").split())), i))
    return [{"text": corpus[i], "pid": i, "rank": rank + 1, "score": 10.0 - rank, "prob": 1.0 / (rank + 2)}
            for rank, i in enumerate(order[:max(k, 0)])]


class Recorded:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Recorded({self.method} {self.path!r} body={self.body!r})"


class ColBERTServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.reply: tuple[int, bytes] | Callable[[str, int], tuple[int, bytes]] | None = None
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, query: str, k: int) -> None:
                if server.delay:
                    time.sleep(server.delay)
                reply = server.reply
                if reply is None:
                    status, body = 200, json.dumps({"topk": ranked(query, k)}).encode()
                else:
                    status, body = reply(query, k) if callable(reply) else reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self, body: bytes) -> Recorded:
                headers = {name.lower(): value for name, value in self.headers.items()}
                entry = Recorded(self.command, self.path, headers, body)
                server.requests.append(entry)
                return entry

            def do_GET(self) -> None:  # noqa: N802
                params = self._record(b"").params
                try:
                    query, k = params["query"][-1], int(params["k"][-1])
                except (KeyError, ValueError):
                    return self._bad()
                self._answer(query, k)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record(body)
                try:
                    payload = json.loads(body)
                    query, k = payload["query"], int(payload["k"])
                except (KeyError, ValueError, TypeError):
                    return self._bad()
                self._answer(query, k)

            def _bad(self) -> None:
                data = b'{"error": true, "message": "bad request"}'
                self.send_response(400)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/api/search"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "ColBERTServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.shutdown()
        self._http.server_close()
