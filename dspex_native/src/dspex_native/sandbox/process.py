"""One running sandbox: a Deno process executing ``runner.js``, and its line protocol.

The host writes one JSON request per line on the process's stdin and reads JSON lines from its
stdout; lines that are not JSON objects (Pyodide's package messages, or code writing to the
real stdout) are skipped. stderr is drained by a thread into a short tail, so that a chatty
process never blocks on a full pipe and a failure can say what Deno said.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import deque
from typing import Any

from dspex_native.sandbox.results import SandboxError
from dspex_native.sandbox.runtime import Runtime

_STDERR_LINES = 40
SHUTDOWN_WAIT = 5.0


class SandboxProcess:
    """A started Deno process running ``runner.js`` (use :func:`start`)."""

    __slots__ = ("_popen", "_stderr", "_drain")

    def __init__(self, popen: subprocess.Popen):
        self._popen = popen
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._drain = threading.Thread(target=self._read_stderr, name="dspex-sandbox-stderr", daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        stream = self._popen.stderr
        try:
            for raw in iter(stream.readline, b""):
                self._stderr.append(raw.decode("utf-8", "replace").rstrip())
        except (OSError, ValueError):
            pass

    @property
    def pid(self) -> int:
        return self._popen.pid

    def alive(self) -> bool:
        return self._popen.poll() is None

    def kill(self) -> None:
        """Stop the process at once (its code ran past a limit): Pyodide runs Python on Deno's
        only thread, so nothing but the host can interrupt it. A :meth:`receive` waiting on it
        then ends with :class:`SandboxError`; :meth:`close` reaps it."""
        try:
            self._popen.kill()
        except OSError:
            pass

    def diagnostics(self) -> str:
        """What Deno wrote on stderr last (its error, when it failed), in one line."""
        self._drain.join(timeout=1.0)
        lines = [line for line in self._stderr if line.strip()]
        return " | ".join(lines[-8:])[-1500:]

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode("ascii")
        try:
            self._popen.stdin.write(data)
            self._popen.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise self.broken("it stopped reading its input") from exc

    def receive(self) -> dict[str, Any]:
        """The next JSON object the runner wrote; :class:`SandboxError` when its output ended."""
        stdout = self._popen.stdout
        while True:
            try:
                line = stdout.readline()
            except (OSError, ValueError) as exc:
                raise self.broken("its output could not be read") from exc
            if not line:
                raise self.broken("it ended")
            if not line.startswith(b"{"):
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                return message

    def broken(self, what: str) -> SandboxError:
        """The error for a process that cannot go on (it is stopped), with what Deno said."""
        self.close(wait=1.0)
        code = self._popen.returncode
        said = self.diagnostics()
        return SandboxError(f"the sandbox (Deno + Pyodide) failed: {what}"
                            f"{f' (exit code {code})' if code is not None else ''}"
                            f"{f'; Deno said: {said}' if said else ''}")

    def close(self, wait: float = SHUTDOWN_WAIT) -> None:
        """End the process: closing its input ends the runner; it is killed if it does not."""
        popen = self._popen
        if popen.poll() is None:
            try:
                popen.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                popen.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        for stream in (popen.stdin, popen.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    def __repr__(self) -> str:
        return f"<SandboxProcess pid={self._popen.pid} {'running' if self.alive() else 'ended'}>"


def start(runtime: Runtime) -> SandboxProcess:
    """Start Deno with ``runtime`` and wait until Pyodide is loaded (about a second or two).

    Raises :class:`SandboxError` with Deno's own message when it does not get there.
    """
    try:
        popen = subprocess.Popen(runtime.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=runtime.env)
    except OSError as exc:
        raise SandboxError(f"the sandbox could not start {runtime.deno}: {type(exc).__name__}: {exc}") from exc
    process = SandboxProcess(popen)
    while True:
        message = process.receive()
        if message.get("ready") is True:
            return process
