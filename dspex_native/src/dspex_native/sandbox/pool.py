"""Whether the sandbox can start here, and a started process kept ready for the next session.

Loading Pyodide takes one to two seconds. :func:`check` starts a sandbox once per process (per
runtime) to learn whether it works, and keeps that process as the *spare*: the next session
takes it instead of waiting. Each :func:`take` starts the next spare in a background thread.
A spare has never run code, so sessions still start from a fresh interpreter, as DSPy's do; an
unused spare is stopped after :data:`keep_warm_seconds` (set it to ``0`` to keep none: every
session then starts its own process), and at exit.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from dspex_native.sandbox import process as _process
from dspex_native.sandbox.results import SandboxError
from dspex_native.sandbox.runtime import INSTALL_HINT, Runtime, SandboxUnavailable, locate, pyodide_version

#: Seconds an unused spare process is kept (0: none is kept).
keep_warm_seconds: float = 60.0

_lock = threading.Lock()
_verdicts: dict[tuple, str | None] = {}
_spare: "_Spare | None" = None
_warming: "_Warming | None" = None
_closing = False


class _Spare:
    __slots__ = ("process", "key", "timer")

    def __init__(self, process: _process.SandboxProcess, key: tuple):
        self.process = process
        self.key = key
        self.timer: threading.Timer | None = None


class _Warming:
    """A spare being started in the background; a session may claim it before it is ready."""

    __slots__ = ("key", "done", "process", "claimed")

    def __init__(self, key: tuple):
        self.key = key
        self.done = threading.Event()
        self.process: _process.SandboxProcess | None = None
        self.claimed = False


def _key(runtime: Runtime) -> tuple:
    return tuple(runtime.command), tuple(sorted(runtime.env.items()))


def check(limits: Any = None) -> Runtime:
    """The runtime for sessions held to ``limits`` (``dspex_core.backend.sandbox_limits.Limits``,
    the defaults when ``None``), once a sandbox started with it (the first time per process and
    command line); raises :class:`~dspex_native.sandbox.runtime.SandboxUnavailable` saying why it
    cannot start."""
    runtime = locate(limits)
    key = _key(runtime)
    if key not in _verdicts:
        try:
            started = _process.start(runtime)
        except SandboxError as exc:
            _verdicts[key] = (f"the sandbox (Pyodide {pyodide_version()} in Deno, {runtime.deno}) could not start: "
                              f"{exc}; {INSTALL_HINT}")
        else:
            _verdicts[key] = None
            _offer(started, key)
    verdict = _verdicts[key]
    if verdict is not None:
        raise SandboxUnavailable(verdict)
    return runtime


def take(runtime: Runtime) -> _process.SandboxProcess:
    """A started process that has run no code: the spare, the one being started, or a new one."""
    global _spare, _warming
    key = _key(runtime)
    found = claimed = stale = None
    with _lock:
        if _spare is not None:
            found, _spare = _spare, None
            if found.timer is not None:
                found.timer.cancel()
        if found is None or found.key != key or not found.process.alive():
            stale, found = found, None
            if _warming is not None and _warming.key == key:
                claimed, _warming = _warming, None
                claimed.claimed = True
    if stale is not None:
        stale.process.close()
    if found is not None:
        started = found.process
    elif claimed is not None and claimed.done.wait() and claimed.process is not None:
        started = claimed.process
    else:
        started = _process.start(runtime)
    _warm_up(runtime, key)
    return started


def _warm_up(runtime: Runtime, key: tuple) -> None:
    """Start the next spare in the background (unless one is kept or starting, or none is wanted)."""
    global _warming
    if keep_warm_seconds <= 0:
        return
    with _lock:
        if _closing or _spare is not None or _warming is not None:
            return
        warming = _warming = _Warming(key)
    threading.Thread(target=_start_spare, args=(runtime, warming), name="dspex-sandbox-spare", daemon=True).start()


def _start_spare(runtime: Runtime, warming: _Warming) -> None:
    global _warming
    try:
        started: Any = _process.start(runtime)
    except SandboxError:
        started = None
    with _lock:
        warming.process = started
        claimed = warming.claimed
        if _warming is warming:
            _warming = None
    warming.done.set()
    if not claimed and started is not None:
        _offer(started, warming.key)


def _offer(started: _process.SandboxProcess, key: tuple) -> None:
    """Keep ``started`` as the spare, unless one is kept already or none is wanted."""
    global _spare
    spare = _Spare(started, key)
    with _lock:
        keep = not _closing and _spare is None and keep_warm_seconds > 0
        if keep:
            _spare = spare
            spare.timer = threading.Timer(keep_warm_seconds, _expire, args=(spare,))
            spare.timer.daemon = True
            spare.timer.start()
    if not keep:
        started.close()


def _expire(spare: _Spare) -> None:
    global _spare
    with _lock:
        if _spare is not spare:
            return
        _spare = None
    spare.process.close()


def close(wait: bool = True) -> None:
    """Stop the spare, and the one being started (waiting for it unless ``wait`` is false: a
    process left starting ends by itself when its input closes). Sessions in use are not
    touched. Called at exit; tests call it too."""
    global _spare, _warming
    with _lock:
        spare, warming = _spare, _warming
        _spare = _warming = None
        if warming is not None:
            warming.claimed = True  # nobody takes it: it is stopped below, or ends with us
    if spare is not None:
        if spare.timer is not None:
            spare.timer.cancel()
        spare.process.close(wait=1.0)
    if warming is not None and wait and warming.done.wait(timeout=60) and warming.process is not None:
        warming.process.close(wait=1.0)


def _at_exit() -> None:
    global _closing
    _closing = True
    close(wait=False)


def _in_child() -> None:
    """After ``fork``: the parent's processes are not the child's to use."""
    global _lock, _spare, _warming
    _lock = threading.Lock()
    _spare = _warming = None


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)
