"""An OpenAI-compatible server on 127.0.0.1 that knows which credentials are valid, and echoes
every credential it was sent when it refuses a request: the probe of the secrets and cache tests.

A request is accepted when its bearer token or ``X-Api-Key`` is one of ``valid`` (or ``valid``
is empty and ``status`` is ``None``); then it gets a ChatAdapter reply. Otherwise it gets
``status`` (401 by default) with an error message that quotes, in shapes no pattern can guess,
the ``Authorization`` header and its token, the decoded Basic credentials, and every header
value; the same text goes back in a response header, which HTTP client libraries log at DEBUG.
Only the standard library is used.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY = "[[ ## answer ## ]]\nfrom the server\n\n[[ ## completed ## ]]"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        owner = self.server.owner
        auth = self.headers.get("Authorization") or ""
        token = auth.split(" ", 1)[1] if " " in auth else auth
        if auth.lower().startswith("basic "):
            try:
                token = base64.b64decode(token).decode("utf-8", "replace")
            except ValueError:
                pass
        presented = {token, self.headers.get("X-Api-Key") or ""} - {""}
        with owner.lock:
            owner.requests.append({"path": self.path, "presented": presented})
        if owner.status is None and (not owner.valid or presented & owner.valid):
            data = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": REPLY}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
            self._send(200, data, {})
            return
        values = " ; ".join(f"{v}" for v in self.headers.values())
        echo = f"you presented {token} (raw {auth}) | {values}"
        data = json.dumps({"error": {"message": f"Incorrect API key provided: {echo}", "type": "auth"}}).encode()
        self._send(owner.status or 401, data, {"X-Echo": echo.encode("latin-1", "replace").decode("latin-1")})

    def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "SecretEchoServer"


class SecretEchoServer:
    """``with SecretEchoServer(valid={"k1"}) as server:`` ... ``server.url`` is the ``/v1`` base."""

    def __init__(self, *, valid: set[str] | None = None, status: int | None = None):
        self.valid = set(valid or ())
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._httpd: _Server | None = None

    def __enter__(self) -> "SecretEchoServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def url_with(self, userinfo: str) -> str:
        return f"http://{userinfo}@127.0.0.1:{self.port}/v1"
