"""The time and memory limits of the sandbox that runs LM-written code, the same on every backend.

``program_of_thought`` runs the code an LM wrote in Pyodide inside Deno (both backends; DSPy's
``PythonInterpreter`` has no limit of either kind, so an LM-written ``while True: pass`` runs for
ever and ``b"x" * 10**10`` takes the host's memory). Two create options bound it:

* ``sandbox_timeout`` (seconds, default :data:`DEFAULT_TIMEOUT`; ``None``: no limit): the
  longest one piece of code may run. Pyodide runs Python on Deno's only thread, so nothing
  inside the sandbox can interrupt it: the host kills the Deno process (:class:`Watchdog`), and
  the call fails with :func:`timeout_error`, a :class:`~dspex_core.errors.SandboxLimitError` (the
  session's state is gone; the next call starts a fresh sandbox);
* ``sandbox_memory_mb`` (default :data:`DEFAULT_MEMORY_MB`; ``None``: no limit): the most
  memory the code's Python may use, Pyodide's WebAssembly memory, and separately the most the
  JavaScript heap may hold (:func:`deno_flags`). Python code that asks for more gets a
  ``MemoryError`` (the LM is told :func:`memory_error_text` and may try again); a JavaScript heap
  over the limit ends the process, and the call fails with :func:`memory_error`. Deno itself
  needs some 150-200 MB on top of the limit.

Backends use this module as ``dspex_core.backend.sandbox_limits``.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Mapping

from dspex_core.errors import InputError, SandboxLimitError

#: Seconds one piece of LM-written code may run.
DEFAULT_TIMEOUT = 30.0
#: Megabytes the code's Python heap (and, separately, the JavaScript heap) may grow to.
DEFAULT_MEMORY_MB = 512
#: Pyodide needs this much to load; a smaller limit would only make every call fail.
MIN_MEMORY_MB = 64
#: The create options, with their defaults.
DEFAULTS: Mapping[str, Any] = {"sandbox_timeout": DEFAULT_TIMEOUT, "sandbox_memory_mb": DEFAULT_MEMORY_MB}

_WASM_PAGES_PER_MB = 16  # WebAssembly pages are 64 KiB


class Limits:
    """Checked limits: ``timeout`` in seconds and ``memory_mb``, each ``None`` for none."""

    __slots__ = ("timeout", "memory_mb")

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, memory_mb: int | None = DEFAULT_MEMORY_MB):
        self.timeout = timeout
        self.memory_mb = memory_mb

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Limits) and (self.timeout, self.memory_mb) == (other.timeout, other.memory_mb)

    def __hash__(self) -> int:
        return hash((self.timeout, self.memory_mb))

    def __repr__(self) -> str:
        return f"Limits(timeout={self.timeout!r}, memory_mb={self.memory_mb!r})"


def check(options: Mapping[str, Any], module_type: str = "program_of_thought") -> Limits:
    """The limits the create ``options`` ask for (defaults for those not given); a value that is
    not one is an :class:`~dspex_core.errors.InputError` naming the option."""
    timeout = options.get("sandbox_timeout", DEFAULT_TIMEOUT)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not math.isfinite(timeout) or timeout <= 0):
        raise InputError(f"{module_type}: sandbox_timeout must be a positive number of seconds or None (no limit), "
                         f"got {timeout!r}")
    memory = options.get("sandbox_memory_mb", DEFAULT_MEMORY_MB)
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int) or memory < MIN_MEMORY_MB):
        raise InputError(f"{module_type}: sandbox_memory_mb must be a whole number of megabytes >= {MIN_MEMORY_MB} "
                         f"or None (no limit), got {memory!r}")
    return Limits(None if timeout is None else float(timeout), memory)


def deno_flags(limits: Limits) -> list[str]:
    """The ``deno run`` flags that hold the code to ``limits.memory_mb``: V8's cap on a WebAssembly
    memory's pages (Pyodide's whole Python heap is one) and on the JavaScript heap."""
    if limits.memory_mb is None:
        return []
    return [f"--v8-flags=--wasm-max-mem-pages={limits.memory_mb * _WASM_PAGES_PER_MB},"
            f"--max-old-space-size={limits.memory_mb}"]


class Watchdog:
    """Kills a sandbox whose code runs past ``seconds``: started before the code is sent, stopped
    when its answer is in (or the wait failed). ``fired`` tells afterwards whether it killed.

    One timer thread per run, joined by :meth:`stop`, so none is left behind; ``seconds=None``
    watches nothing.
    """

    __slots__ = ("fired", "_timer", "_kill")

    def __init__(self, seconds: float | None, kill: Callable[[], None]):
        self.fired = False
        self._kill = kill
        self._timer = None
        if seconds is not None:
            self._timer = threading.Timer(seconds, self._fire)
            self._timer.daemon = True
            self._timer.name = "dspex-sandbox-watchdog"
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._kill()

    def stop(self) -> None:
        """Stop watching; after it returns ``fired`` no longer changes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()


def timeout_error(limits: Limits) -> SandboxLimitError:
    """The error of a call whose code ran past ``limits.timeout`` (its process was killed)."""
    return SandboxLimitError(
        f"the code ran longer than the sandbox's time limit (sandbox_timeout={limits.timeout:g} s) and was "
        "stopped: the sandbox's process was ended and the session's state is lost", limit="sandbox_timeout",
        value=limits.timeout)


def memory_error(limits: Limits) -> SandboxLimitError:
    """The error of a call whose code filled the JavaScript heap (V8 ended the process)."""
    return SandboxLimitError(
        f"the code ran out of memory: the sandbox's memory limit (sandbox_memory_mb={limits.memory_mb}) was "
        "reached and the sandbox's process ended; the session's state is lost", limit="sandbox_memory_mb",
        value=limits.memory_mb)


def memory_error_text(limits: Limits) -> str:
    """What the LM is told when the code's Python raised a bare ``MemoryError`` (the session goes on)."""
    return f"MemoryError: the sandbox's memory limit (sandbox_memory_mb={limits.memory_mb}) was reached"


def is_bare_memory_error(kind: str, args: Any, message: Any) -> bool:
    """Whether an error the code raised is the allocator's ``MemoryError`` (no arguments, no message),
    not one the code raised with words of its own."""
    return kind == "MemoryError" and not args and not (message or "").strip()


def out_of_memory(diagnostics: str) -> bool:
    """Whether Deno's last words (stderr) say V8 ran out of heap."""
    text = diagnostics.lower()
    return "out of memory" in text or "heap limit" in text
