"""A local, OpenAI-compatible chat-completions server for testing LM clients.

Real HTTP clients (the native httpx client, ``dspy.LM`` through LiteLLM) can be exercised
against it without a network: it listens on ``127.0.0.1`` on a free port, answers
``POST /v1/chat/completions`` (and ``/chat/completions``) from a *responder*, whole or, for
``"stream": true``, as OpenAI's server-sent events (``stream_chunk_size=``), records every
request, and misbehaves on demand (``inject``: error statuses, delays, dropped connections, and
streams cut short or ended by an error event)::

    from dspex_core.testing import RecordingLM
    from dspex_core.testing.server import LocalLMServer

    with LocalLMServer(RecordingLM("hello"), latency=0.02) as server:
        server.inject(status=429, times=2)          # the next two requests get 429
        ...  # point a client at server.url ("http://127.0.0.1:PORT/v1")
        assert len(server.requests) == 3

The responder is ``(messages, settings) -> str | list[str]``, or any custom-LM object called
as ``(messages, **settings)`` (a :class:`~dspex_core.testing.RecordingLM`, the offline LM); a reply
may also be a message dict, ``{"content": ..., "tool_calls": [...], "logprobs": {...}}`` in OpenAI's
shape, answering with function calls or token logprobs (unstreamed replies only). ``settings`` is the request body without ``model`` and ``messages``. Only the standard
library is used, so the server runs wherever ``dspex_core`` does.

From a shell, ``python -m dspex_core.testing.server`` serves until Ctrl-C, answering with the
offline LM (placeholders for any signature) or ``--reply TEXT``; ``--port`` (default: a free
one, printed), ``--latency``, and faults for the first requests: ``--fail 429x2`` (repeatable,
in order; ``--retry-after``), ``--drop N``. Try a client against it, e.g.
``dspex demo --api-base http://127.0.0.1:PORT/v1 --lm openai/local``.
"""

from __future__ import annotations

import inspect
import itertools
import json
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any, Callable, Sequence

from dspex_core.testing._server_faults import Fault, FaultQueue
from dspex_core.testing._server_handler import LMRequestHandler, count_tokens
from dspex_core.testing._server_stream import DEFAULT_CHUNK_SIZE, ChunkSplitter, check_chunking

__all__ = ["Fault", "LocalLMServer"]

Responder = Callable[..., "str | list[str]"]

DEFAULT_REPLY = "[[ ## answer ## ]]\nlocal reply\n\n[[ ## completed ## ]]"


def _takes_settings_positionally(responder: Callable[..., Any]) -> bool:
    """Whether ``responder`` is written ``(messages, settings)`` rather than ``(messages, **settings)``."""
    try:
        params = list(inspect.signature(responder).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in positional)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone mid-connection is a client's right, not a server error: no traceback.
        (A streaming client may stop reading at ``data: [DONE]`` and close the socket with the
        stream's last bytes unread, which resets the connection.)"""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class LocalLMServer:
    """An OpenAI-compatible test server on ``127.0.0.1`` (see the module docstring).

    ``responder``: a string (the same reply every time), ``(messages, settings) -> str | list[str]``,
    or a custom-LM object; default: a fixed ChatAdapter-style ``answer`` reply.
    ``latency``: seconds every request waits before its answer. ``model``: the model name in
    answers when the request names none. ``max_body_bytes`` and ``max_n`` bound requests.
    ``stream_chunk_size``: how a ``"stream": true`` answer is cut into events, a number of
    characters per event or a function ``text -> list of pieces`` (settable while serving).
    """

    def __init__(self, responder: str | Responder | None = None, *, latency: float = 0.0, model: str = "local-lm",
                 host: str = "127.0.0.1", port: int = 0, max_body_bytes: int = 8 * 1024 * 1024, max_n: int = 128,
                 stream_chunk_size: int | ChunkSplitter = DEFAULT_CHUNK_SIZE):
        if latency < 0:
            raise ValueError(f"latency must be >= 0, got {latency}")
        self.responder = DEFAULT_REPLY if responder is None else responder
        self._positional = callable(self.responder) and _takes_settings_positionally(self.responder)
        self.latency = float(latency)
        self.model = model
        self.host = host
        self.max_body_bytes = max_body_bytes
        self.max_n = max_n
        self.stream_chunk_size = check_chunking(stream_chunk_size)
        self._port = port
        self._faults = FaultQueue()
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LocalLMServer":
        """Bind and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("LocalLMServer is already running")
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self._port), LMRequestHandler)
        httpd.owner = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"LocalLMServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed requests, close open connections and the socket."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake keep-alive readers so their threads end now
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "LocalLMServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LocalLMServer is not running: call start() or use it in a with block")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no path)."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI-style base URL, ``http://127.0.0.1:PORT/v1``: pass it as ``api_base``."""
        return f"{self.base_url}/v1"

    # -- scripting -------------------------------------------------------------------------
    def inject(self, *, status: int | None = None, delay: float = 0.0, drop: bool = False, times: int = 1,
               retry_after: float | None = None, message: str | None = None, after_chunks: int | None = None,
               stream_error: str | None = None, code: str | None = None) -> "LocalLMServer":
        """Make the next ``times`` chat requests misbehave (queued after earlier injections).

        ``status=429|500|503|...`` answers with that error (``retry_after`` adds the header);
        ``delay=seconds`` waits before answering (alone: then answers normally);
        ``drop=True`` closes the connection without a response;
        ``after_chunks=N`` closes a streamed answer's connection after ``N`` text events, and
        ``stream_error="message"`` sends an OpenAI-style error event there instead (a request
        that does not stream gets its answer whole); ``code`` is the error body's ``code`` (the
        status when not given).
        """
        self._faults.add(Fault(status=status, delay=float(delay), drop=drop, times=times,
                               retry_after=retry_after, message=message, after_chunks=after_chunks,
                               stream_error=stream_error, code=code))
        return self

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        return self._faults.pending()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far (a copy): ``method``, ``path``, ``headers`` (credential
        values replaced by ``"<redacted>"``), ``auth`` (a credential header was sent),
        ``body`` (parsed JSON, or ``None``), ``fault`` (the injected fault's label, or ``None``),
        ``time``."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The recorded requests to a chat-completions path."""
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def reset(self) -> None:
        """Forget recorded requests and queued faults."""
        with self._lock:
            self._requests.clear()
        self._faults.clear()

    # -- used by the handler ---------------------------------------------------------------
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def _reply(self, messages: list[Any], settings: dict[str, Any], n: int) -> list[str]:
        responder = self.responder
        if isinstance(responder, str):
            reply: Any = responder
        elif self._positional:
            reply = responder(messages, settings)
        else:
            reply = responder(messages, **settings)
        texts = [reply] if isinstance(reply, (str, dict)) else [t if isinstance(t, dict) else str(t) for t in reply]
        if not texts:
            raise ValueError("the responder returned no completions")
        return list(itertools.islice(itertools.cycle(texts), n)) if len(texts) < n else texts[:n]

    def _completion(self, body: dict[str, Any], texts: list[str]) -> dict[str, Any]:
        prompt = sum(count_tokens(str(m.get("content") or "")) for m in body["messages"] if isinstance(m, dict))
        completion = sum(count_tokens(t if isinstance(t, str) else json.dumps(t)) for t in texts)
        return {
            "id": f"chatcmpl-local-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [_choice(i, text) for i, text in enumerate(texts)],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalLMServer({where}, requests={len(self._requests)}, latency={self.latency})"


#: the message keys that carry a reply's reasoning (DeepSeek's and vLLM's, OpenRouter's), sent as given
REASONING_KEYS = ("reasoning_content", "reasoning")


def _choice(index: int, reply: Any) -> dict[str, Any]:
    """One choice of a completion: a text reply, or a message dict (``{"content": ..., "tool_calls":
    [...], "logprobs": {...}}``, the content ``None`` when left out, ``reasoning_content`` or
    ``reasoning`` beside it) answering with function calls, with its reasoning, or with the choice's
    token logprobs (OpenAI's ``{"content": [{"token", "logprob", ...}]}``)."""
    if isinstance(reply, str):
        return {"index": index, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
    calls = reply.get("tool_calls")
    message = {"role": "assistant", "content": reply.get("content")}
    for key in REASONING_KEYS:
        if key in reply:
            message[key] = reply[key]
    if calls:
        message["tool_calls"] = calls
    choice = {"index": index, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
    if "logprobs" in reply:
        choice["logprobs"] = reply["logprobs"]
    return choice


# -- python -m dspex_core.testing.server ------------------------------------------------------

def _fault_spec(text: str) -> tuple[int, int]:
    """``STATUS`` or ``STATUSxTIMES`` (``429x2``) as ``(status, times)``."""
    from dspex_core.errors import InputError

    status, _, times = text.lower().partition("x")
    try:
        code, count = int(status), int(times or 1)
    except ValueError:
        raise InputError(f"--fail takes STATUS or STATUSxTIMES (e.g. 429x2), got {text!r}") from None
    if not 400 <= code < 600 or count < 1:
        raise InputError(f"--fail needs an HTTP error status (400-599) and TIMES >= 1, got {text!r}")
    return code, count


def _parser() -> Any:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dspex_core.testing.server",
        description="Serve an OpenAI-compatible chat-completions endpoint on this machine until Ctrl-C, "
                    "for trying an LM client (dspex demo --api-base URL --lm openai/local) by hand.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one; the URL is printed)")
    parser.add_argument("--reply", metavar="TEXT",
                        help="answer every request with TEXT (default: dspex's offline LM, which fills any "
                             "signature's output fields with placeholders)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="wait before every answer")
    parser.add_argument("--fail", action="append", default=[], metavar="STATUS[xTIMES]",
                        help="answer the next TIMES requests with HTTP STATUS (e.g. 429x2); repeatable, in order")
    parser.add_argument("--retry-after", type=float, metavar="SECONDS", help="a Retry-After header on --fail answers")
    parser.add_argument("--drop", type=int, default=0, metavar="N",
                        help="then close the connection of the next N requests without an answer")
    return parser


def _serve(args: Any) -> int:
    from dspex_core.errors import InputError

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port must be 0-65535, got {args.port}")
    if args.latency < 0 or args.drop < 0 or (args.retry_after is not None and args.retry_after < 0):
        raise InputError("--latency, --drop and --retry-after take numbers >= 0")
    faults = [_fault_spec(spec) for spec in args.fail]
    if args.reply is not None:
        responder: Any = args.reply
    else:
        from dspex_core._offline_lm import OfflineLM

        responder = OfflineLM()
    server = LocalLMServer(responder, latency=args.latency, host=args.host, port=args.port)
    for status, times in faults:
        server.inject(status=status, times=times, retry_after=args.retry_after)
    if args.drop:
        server.inject(drop=True, times=args.drop)
    with server:
        print(f"serving an OpenAI-compatible LM at {server.url} (pass it as api_base=; any model name); "
              f"Ctrl-C stops", flush=True)
        threading.Event().wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server from a shell (see the module docstring); errors are one line, as ``dspex``'s."""
    from dspex_core.cli._errors import run_command

    args = _parser().parse_args(argv)
    return run_command("testing.server", lambda: _serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
