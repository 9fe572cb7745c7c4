"""A local fake of each LM API shape: Anthropic's Messages, Gemini's GenerateContent, Ollama's own
API (``/api/chat`` and ``/api/generate``, as LiteLLM speaks to it), and OpenAI's chat completions
on any path (Azure OpenAI's deployment route, a gateway's or Ollama's ``/v1`` base URL as
written), for testing LM clients.

:class:`~dspex_core.testing.server.LocalLMServer` speaks OpenAI's shape; this server answers in
each provider's own shape, so a client that writes those requests (the native backend, or
``dspy.LM("anthropic/...", api_base=...)``) can be run against it without a network::

    with ProviderServer("anthropic", ["hello"]) as server:
        server.fail(529, times=1)          # the next request gets a 529 overloaded error
        ...  # point a client at server.url ("http://127.0.0.1:PORT")
        assert server.requests[-1]["path"] == "/messages"

Every request is recorded (method, path, query string, headers, JSON body), but Ollama's
``/api/show`` (the model-information lookup LiteLLM makes in the background for its cost
bookkeeping, which is no part of a call), answered with an empty model description; each answer is the
next scripted reply (one per request): a text, sent in the shape's reply with usage counts, or a
dict, sent as it is (a reply with several blocks, thoughts, cache counts, a blocked answer); a
scripted fault (a status, with the provider's error body and an optional ``Retry-After``) comes
first. A request that asks to stream (Anthropic's and Ollama's ``"stream": true``, Gemini's
``:streamGenerateContent``) gets the reply as the provider's server-sent events (Ollama's
newline-delimited JSON) (:mod:`._provider_stream`), cut every ``stream_chunk_size`` characters (or by a function); a
scripted list is sent as those events' payloads. Only the standard library is used.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import urlsplit

from dspex_core.testing import _provider_stream
from dspex_core.testing._server_stream import DEFAULT_CHUNK_SIZE, ChunkSplitter, check_chunking

__all__ = ["ProviderServer", "SHAPES"]

#: The API shapes served ("openai" and "azure" both answer chat completions, on any path).
SHAPES = ("anthropic", "gemini", "ollama", "azure", "openai")


def reply_body(shape: str, text: str, usage: tuple[int, int] = (11, 7), path: str = "") -> dict[str, Any]:
    """A successful answer carrying ``text`` in the shape's own format (for ``"ollama"``, the
    ``/api/generate`` reply when ``path`` ends so, else ``/api/chat``'s)."""
    prompt, completion = usage
    if shape == "ollama":
        common = {"model": "local", "created_at": "2025-01-01T00:00:00Z", "done": True, "done_reason": "stop",
                  "prompt_eval_count": prompt, "eval_count": completion}
        if path.endswith("/api/generate"):
            return {"model": "local", "created_at": common["created_at"], "response": text, **common}
        return {"model": "local", "created_at": common["created_at"],
                "message": {"role": "assistant", "content": text}, **common}
    if shape == "anthropic":
        return {"id": "msg_local", "type": "message", "role": "assistant", "model": "local",
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "usage": {"input_tokens": prompt, "output_tokens": completion}}
    if shape == "gemini":
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                                "index": 0}],
                "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": completion,
                                  "totalTokenCount": prompt + completion}}
    return {"id": "chatcmpl-local", "object": "chat.completion", "created": 0, "model": "local",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}


def error_body(shape: str, status: int, message: str) -> dict[str, Any]:
    """An error answer in the shape's own format."""
    if shape == "anthropic":
        kind = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}.get(
            status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if shape == "gemini":
        kind = "UNAVAILABLE" if status >= 500 else "INVALID_ARGUMENT"
        return {"error": {"code": status, "message": message, "status": kind}}
    if shape == "ollama":
        return {"error": message}
    return {"error": {"message": message, "type": "invalid_request_error", "code": str(status)}}


class ProviderServer:
    """A fake provider API on ``127.0.0.1`` (a free port); see the module docstring."""

    def __init__(self, shape: str, replies: Iterable[str | dict[str, Any] | list[Any]] = (), *,
                 stream_chunk_size: int | ChunkSplitter = DEFAULT_CHUNK_SIZE):
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
        self.shape = shape
        #: how a streamed text reply is cut into events (characters per event, or a function)
        self.stream_chunk_size = check_chunking(stream_chunk_size)
        self._lock = threading.Lock()
        self._replies: deque[str | dict[str, Any] | list[Any]] = deque(replies)
        self._faults: deque[tuple[int, str, str | None]] = deque()
        self._requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    # -- scripting ------------------------------------------------------------------------------
    def load(self, replies: Iterable[str | dict[str, Any] | list[Any]]) -> None:
        """Forget the recorded requests, pending replies and faults; answer with ``replies`` next."""
        with self._lock:
            self._replies = deque(replies)
            self._faults.clear()
            self._requests.clear()

    def fail(self, status: int, *, times: int = 1, message: str = "fault injected",
             retry_after: str | None = None) -> None:
        """The next ``times`` requests get ``status`` with the shape's error body."""
        with self._lock:
            self._faults.extend([(status, message, retry_after)] * times)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """``{"method", "path", "query", "headers", "body"}`` per request, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def replies_left(self) -> int:
        with self._lock:
            return len(self._replies)

    # -- serving --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ProviderServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                parts = urlsplit(self.path)
                if owner.shape == "ollama" and parts.path.endswith("/api/show"):
                    self._model_info()  # LiteLLM's background model-info lookup: answered, not recorded
                    return
                status, payload, extra = owner._answer({"method": "POST", "path": parts.path, "query": parts.query,
                                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                                        "body": body})
                if status == 200 and _provider_stream.asks_to_stream(owner.shape, parts.path, body):
                    _provider_stream.write(self, owner.shape, payload)
                    return
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _model_info(self) -> None:
                data = json.dumps({"modelfile": "", "parameters": "", "template": "", "details": {},
                                   "model_info": {}, "capabilities": ["completion"]}).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def _answer(self, entry: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self._requests.append(entry)
            if self._faults:
                status, message, retry_after = self._faults.popleft()
                return status, error_body(self.shape, status, message), (
                    {"Retry-After": retry_after} if retry_after is not None else {})
            if not self._replies:
                return 500, error_body(self.shape, 500, "the fake server's script is exhausted"), {}
            reply = self._replies.popleft()
            if _provider_stream.asks_to_stream(self.shape, entry["path"], entry["body"]):
                if not isinstance(reply, str):  # the events' payloads (a dict: one event), as scripted
                    return 200, reply if isinstance(reply, list) else [reply], {}
                return 200, _provider_stream.events(self.shape, reply, self.stream_chunk_size, (11, 7),
                                                    entry["path"]), {}
            if isinstance(reply, (dict, list)):
                return 200, reply, {}
            if self.shape == "ollama":  # the reply of the endpoint asked (/api/chat or /api/generate)
                return 200, reply_body(self.shape, reply, path=entry["path"]), {}
            return 200, reply_body(self.shape, reply), {}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "ProviderServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
