"""The request handler behind :class:`~dspex_core.testing.server.LocalLMServer`.

It speaks just enough of the OpenAI chat-completions API for real HTTP clients (httpx,
LiteLLM, the openai SDK) to talk to it: HTTP/1.1 with keep-alive, JSON bodies, OpenAI-style
error bodies, ``usage`` in every answer, and server-sent events for ``"stream": true``
(:mod:`._server_stream`). Everything the server decides (reply text, faults,
latency) comes from the server object; the handler only parses, records and writes. It knows
that object only as :class:`ServerState` (what the handler reads and calls), so the server
module imports the handler and never the other way round.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from dspex_core.testing._server_faults import FaultQueue
from dspex_core.testing._server_stream import streamable, write_stream

#: Paths answering chat completions (with and without the ``/v1`` prefix, as clients differ).
CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
MODELS_PATHS = frozenset({"/v1/models", "/models"})

#: Header names whose values are credentials: recorded as present, never stored.
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie"})
REDACTED = "<redacted>"


def count_tokens(text: str) -> int:
    """A stand-in token count: whitespace-separated words (consistent, not a real tokenizer)."""
    return len(text.split())


def error_body(message: str, kind: str, code: Any = None) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class ServerState(Protocol):
    """What the handler needs from the server that owns it (``LocalLMServer`` provides it)."""

    model: str
    latency: float
    max_body_bytes: int
    max_n: int
    stream_chunk_size: Any
    _faults: FaultQueue
    _stopping: threading.Event

    def _track(self, conn: Any, *, add: bool) -> None: ...

    def _record(self, entry: dict[str, Any]) -> None: ...

    def _reply(self, messages: list[Any], settings: dict[str, Any], n: int) -> list[str]: ...

    def _completion(self, body: dict[str, Any], texts: list[str]) -> dict[str, Any]: ...


class LMRequestHandler(BaseHTTPRequestHandler):
    """One connection; ``self.server.owner`` is the :class:`ServerState` (the ``LocalLMServer``)."""

    protocol_version = "HTTP/1.1"
    server_version = "dspex-LocalLMServer/0.1"
    #: Socket timeout: a client that stalls mid-request cannot hold a thread for ever.
    timeout = 30
    #: Headers and body go out in separate writes; with Nagle's algorithm on, the body would
    #: wait for the client's delayed ACK (~40 ms) and every answer would look slow.
    disable_nagle_algorithm = True

    @property
    def owner(self) -> ServerState:
        return self.server.owner  # type: ignore[attr-defined]

    # -- plumbing --------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's per-request stderr lines (tests read ``server.requests``)."""

    def _send_json(self, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        # end_headers() without its flush, then headers and body leave in one write
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _read_body(self) -> tuple[bytes | None, str | None]:
        """The raw body, or an error message when it is missing or too large."""
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return None, "Content-Length is required"
        try:
            length = int(length_header)
        except ValueError:
            return None, f"bad Content-Length {length_header!r}"
        if length < 0 or length > self.owner.max_body_bytes:
            return None, f"body of {length} bytes exceeds the limit of {self.owner.max_body_bytes}"
        return self.rfile.read(length), None

    def _recorded_headers(self) -> tuple[dict[str, str], bool]:
        headers: dict[str, str] = {}
        auth = False
        for name, value in self.headers.items():
            key = name.lower()
            if key in SECRET_HEADERS:
                headers[key] = REDACTED
                auth = auth or key in ("authorization", "api-key", "x-api-key")
            else:
                headers[key] = value
        return headers, auth

    # -- verbs -----------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        if path in MODELS_PATHS:
            self._send_json(200, {"object": "list", "data": [{"id": self.owner.model, "object": "model"}]})
        else:
            self._send_json(404, error_body(f"no route for GET {path}", "not_found"))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        raw, problem = self._read_body()
        if problem is not None:
            self.close_connection = True
            self._send_json(413 if "exceeds" in problem else 411, error_body(problem, "invalid_request_error"))
            return
        headers, auth = self._recorded_headers()
        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
            problem = "the body is not valid JSON"
        fault = self.owner._faults.take() if path in CHAT_PATHS else None
        self.owner._record({"method": "POST", "path": path, "headers": headers, "auth": auth, "body": body,
                            "fault": fault.kind if fault else None, "time": time.time()})
        if path not in CHAT_PATHS:
            self._send_json(404, error_body(f"no route for POST {path}", "not_found"))
            return
        if problem is not None:
            self._send_json(400, error_body(problem, "invalid_request_error"))
            return
        self._chat(body, fault)

    def _chat(self, body: Any, fault: Any) -> None:
        owner = self.owner
        wait = owner.latency + (fault.delay if fault else 0.0)
        if wait > 0 and owner._stopping.wait(wait):
            self.close_connection = True  # the server is stopping: give up quietly
            return
        if fault is not None and fault.drop:
            self.close_connection = True
            return
        if fault is not None and fault.status is not None:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            message = fault.message or f"injected error {fault.status}"
            kind = "rate_limit_error" if fault.status == 429 else "server_error" if fault.status >= 500 else "invalid_request_error"
            self._send_json(fault.status, error_body(message, kind, fault.status if fault.code is None else fault.code),
                            extra)
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send_json(400, error_body("'messages' (a list) is required", "invalid_request_error"))
            return
        try:
            n = 1 if body.get("n") is None else int(body["n"])
        except (TypeError, ValueError):
            self._send_json(400, error_body(f"bad n {body.get('n')!r}", "invalid_request_error"))
            return
        if not 1 <= n <= owner.max_n:
            self._send_json(400, error_body(f"n must be in 1..{owner.max_n}, got {n}", "invalid_request_error"))
            return
        try:
            texts = owner._reply(body["messages"], {k: v for k, v in body.items() if k not in ("messages", "model")}, n)
        except Exception as exc:  # the responder failed: report it like a provider would
            self._send_json(500, error_body(f"responder failed: {type(exc).__name__}: {exc}", "server_error"))
            return
        completion = owner._completion(body, texts)
        if body.get("stream") is True:
            if not all(streamable(t) for t in texts):
                self._send_json(500, error_body("the test server streams text replies (with their logprobs) "
                                                "and function calls only", "server_error"))
                return
            try:
                write_stream(self, completion, texts, body, owner.stream_chunk_size, fault)
            except ValueError as exc:  # the server's chunker is wrong: nothing was written yet
                self._send_json(500, error_body(f"stream chunker failed: {exc}", "server_error"))
            return
        self._send_json(200, completion)
