"""One sandbox session: :class:`PyodideInterpreter`, DSPy's ``CodeInterpreter`` without DSPy.

A session is one Deno process, taken from :mod:`~dspex_native.sandbox.pool` at the first
``execute`` (so a session that never runs code costs nothing) and ended by ``shutdown``. The
Python state persists from one ``execute`` to the next within a session (ProgramOfThought's
retries see the variables of earlier attempts) and never crosses sessions.

``execute(code)`` returns and raises what DSPy's ``PythonInterpreter.execute`` does, because
ProgramOfThought quotes it to the LM: the value of the code's last expression, else what it
printed (``str``); :class:`~.results.FinalOutput` when it called ``SUBMIT``; a
``SyntaxError("Invalid Python syntax. message: ...")``; a
:class:`~.results.CodeExecutionError` ``"<Type>: <args or message>"``; or
:class:`~.results.SandboxError` when the session broke. A session is used by one thread at a time.

The runtime's limits (``dspex_core.backend.sandbox_limits``) hold: code running past
``sandbox_timeout`` has its process killed and raises
:class:`~dspex_core.errors.SandboxLimitError` (the session ends); so does code that fills the
JavaScript heap past ``sandbox_memory_mb``; Python code that asks for more memory gets a
``MemoryError`` whose text names the limit, and the session goes on.
"""

from __future__ import annotations

import secrets
from typing import Any

from dspex_core.backend import sandbox_limits

from dspex_native.sandbox import pool
from dspex_native.sandbox.process import SandboxProcess
from dspex_native.sandbox.results import CodeExecutionError, FinalOutput, SandboxError
from dspex_native.sandbox.runtime import Runtime


class PyodideInterpreter:
    """A sandbox session (see the module docstring). ``runtime`` is the checked runtime from
    :func:`~dspex_native.sandbox.pool.check`; without it the session checks at start."""

    __slots__ = ("_runtime", "_process", "_ended")

    def __init__(self, runtime: Runtime | None = None):
        self._runtime = runtime
        self._process: SandboxProcess | None = None
        self._ended = False

    @property
    def tools(self) -> dict[str, Any]:
        """Host functions the code may call (DSPy's protocol has them; ProgramOfThought gives none)."""
        return {}

    def start(self) -> None:
        """Take a started process (idempotent); a session that ended cannot start again."""
        if self._ended:
            raise SandboxError("this sandbox session has ended; its state is gone (start a new session)")
        if self._process is None:
            if self._runtime is None:
                self._runtime = pool.check()
            self._process = pool.take(self._runtime)

    def execute(self, code: str) -> Any:
        """Run ``code`` in the session; see the module docstring for what comes back."""
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, got {type(code).__name__}")
        self.start()
        process = self._process
        limits = self._runtime.limits
        request = secrets.token_hex(8)  # not guessable by the code, whose own stdout lines are skipped
        watchdog = sandbox_limits.Watchdog(limits.timeout, process.kill)
        try:
            process.send({"id": request, "code": code})
            message = process.receive()
            while message.get("id") != request:
                message = process.receive()
        except SandboxError as exc:
            watchdog.stop()
            self.shutdown()
            if watchdog.fired:
                raise sandbox_limits.timeout_error(limits) from None
            if limits.memory_mb is not None and sandbox_limits.out_of_memory(str(exc)):
                raise sandbox_limits.memory_error(limits) from None
            raise SandboxError(f"{exc}; the session ended and its state is lost") from exc
        watchdog.stop()
        if watchdog.fired:  # the answer came as the time ran out: the process is gone all the same
            self.shutdown()
            raise sandbox_limits.timeout_error(limits)
        if "fatal" in message:
            self.shutdown()
            raise SandboxError(f"the sandbox could not report the code's error ({message['fatal']}); the session "
                               "ended and its state is lost")
        if "final" in message:
            return FinalOutput(message["final"])
        error = message.get("error")
        if isinstance(error, dict):
            kind = error.get("type", "Error")
            text = error.get("message", "")
            if kind == "SyntaxError":
                raise SyntaxError(f"Invalid Python syntax. message: {text}")
            if limits.memory_mb is not None and sandbox_limits.is_bare_memory_error(kind, error.get("args"), text):
                raise CodeExecutionError(sandbox_limits.memory_error_text(limits))
            raise CodeExecutionError(f"{kind}: {error.get('args') or text}")
        return message.get("output")

    def shutdown(self) -> None:
        """End the session and its process (idempotent)."""
        self._ended = True
        process, self._process = self._process, None
        if process is not None:
            process.close()

    def __enter__(self) -> "PyodideInterpreter":
        return self

    def __exit__(self, *_: Any) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        state = "ended" if self._ended else "running" if self._process is not None else "not started"
        return f"<PyodideInterpreter {state}>"
