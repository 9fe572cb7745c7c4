"""An OpenAI-compatible server on 127.0.0.1 that takes its time, for the bounded-wait probes.

``LocalLMServer`` (dspex_core.testing) answers or fails at once, or after a delay; what the
timeout probes need is a server that keeps a client waiting *while sending*: a reply trickled a
few bytes at a time (a per-read timeout never fires), a request left unanswered, a 429 asking for
an hour's wait. Each request takes the next behaviour from a queue, the last one repeating. Its
threads are named ``slow-lm-server``, so a probe counting threads can leave them out, and
``stop`` ends them all.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque

REPLY = "[[ ## answer ## ]]\nslow but sure\n\n[[ ## completed ## ]]"
THREAD_NAME = "slow-lm-server"


def _completion(text: str = REPLY) -> bytes:
    return json.dumps({
        "id": "chatcmpl-slow", "object": "chat.completion", "created": 0, "model": "slow-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }).encode()


class SlowLMServer:
    """``SlowLMServer("trickle", "ok")``: the first request gets a trickled reply, the rest an
    answer at once. Behaviours: ``"ok"``; ``"trickle"`` (200, the body a few bytes every
    ``trickle_step`` seconds over about ``trickle_seconds``); ``"hang"`` (no answer until stopped);
    ``"retry_after"`` (429 with ``Retry-After: <retry_after>``); ``"unavailable"`` (503, ``Retry-After: 0``).
    """

    def __init__(self, *behaviours: str, trickle_seconds: float = 6.0, retry_after: str = "3600"):
        self.behaviours = deque(behaviours or ("ok",))
        self.trickle_seconds = trickle_seconds
        self.retry_after = retry_after
        self.requests = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def __enter__(self) -> "SlowLMServer":
        self._spawn(self._serve)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=10)
        self._listener.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=THREAD_NAME, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _next(self) -> str:
        with self._lock:
            self.requests += 1
            return self.behaviours.popleft() if len(self.behaviours) > 1 else self.behaviours[0]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self._spawn(self._handle, conn)

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            body += chunk
        return True

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    if not self._read_request(conn):
                        return
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    return
                conn.settimeout(None)
                if not self._answer(conn, self._next()):
                    return
                conn.settimeout(0.2)

    def _answer(self, conn: socket.socket, behaviour: str) -> bool:
        """Answer one request; ``False`` when the connection is done with."""
        if behaviour == "hang":
            self._stop.wait()
            return False
        if behaviour in ("retry_after", "unavailable"):
            status, body = ("429 Too Many Requests", b'{"error": {"message": "slow down"}}') \
                if behaviour == "retry_after" else ("503 Service Unavailable", b'{"error": {"message": "busy"}}')
            wait = self.retry_after if behaviour == "retry_after" else "0"
            conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nRetry-After: {wait}\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            return True
        body = _completion()
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode())
        if behaviour == "ok":
            conn.sendall(body)
            return True
        step = 0.05
        size = max(1, int(len(body) * step / self.trickle_seconds))
        for start in range(0, len(body), size):
            if self._stop.wait(step):
                return False
            try:
                conn.sendall(body[start:start + size])
            except OSError:
                return False
        return True
