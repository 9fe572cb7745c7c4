"""Sessions: a scope for backends that keep state, always cleaned up.

``with dspex.session() as s:`` starts a session, tells every plugin
(``dspex_session_start``), makes it current for this thread or task, and on the way out,
also when the block raised, tells every plugin to free it (``dspex_session_end``). Modules
created outside any session belong to the ``"default"`` session, which ends at exit.

A session object can be handed to worker threads: ``with s.activate():`` makes it current
there. Ending is idempotent and guarded by a lock, so two threads racing to close it are
safe.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import itertools
import os
import threading
import time
import warnings
from typing import Any, Iterator

DEFAULT_SESSION_ID = "default"

_counter = itertools.count(1)
_current: contextvars.ContextVar["Session | None"] = contextvars.ContextVar("dspex_session", default=None)
_active: dict[str, "Session"] = {}
_lock = threading.Lock()


class Session:
    """A running session. ``id`` is what module references carry as ``session_id``."""

    def __init__(self, session_id: str | None = None):
        self.id = session_id or f"session-{os.getpid()}-{next(_counter)}"
        self.started = time.monotonic()
        self.data: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def start(self) -> "Session":
        from dspex_core import registry, telemetry

        with _lock:
            if self.id in _active:
                raise ValueError(f"a session with id {self.id!r} is already running")
            _active[self.id] = self
        for problem in registry.get().call_session_hook("dspex_session_start", self):
            warnings.warn(f"session start hook failed: {problem}", RuntimeWarning, stacklevel=3)
        if telemetry.has_handlers(telemetry.SESSION_START):  # no payload built for nobody
            telemetry.emit(telemetry.SESSION_START, {"timestamp": telemetry.timestamp()}, {"session_id": self.id})
        return self

    def end(self) -> None:
        """Free everything the session owns (idempotent)."""
        from dspex_core import registry, telemetry

        with self._lock:
            if self._ended:
                return
            self._ended = True
        try:
            for problem in registry.get().call_session_hook("dspex_session_end", self):
                warnings.warn(f"session end hook failed: {problem}", RuntimeWarning, stacklevel=3)
        finally:
            with _lock:
                _active.pop(self.id, None)
            if telemetry.has_handlers(telemetry.SESSION_END):
                telemetry.emit(telemetry.SESSION_END,
                               {"timestamp": telemetry.timestamp(), "duration": time.monotonic() - self.started},
                               {"session_id": self.id})

    @contextlib.contextmanager
    def activate(self) -> Iterator["Session"]:
        """Make this session current in the calling thread or task."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def __repr__(self) -> str:
        return f"Session({self.id!r}{', ended' if self._ended else ''})"


@contextlib.contextmanager
def session(session_id: str | None = None) -> Iterator[Session]:
    """Run a block in a new session that is ended however the block exits."""
    current = Session(session_id).start()
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)
        current.end()


def current_session() -> Session | None:
    """The session in force here, or ``None`` outside any ``session()`` block."""
    return _current.get()


def current_session_id() -> str:
    """The id new modules are created under (``"default"`` outside any session)."""
    current = _current.get()
    return current.id if current is not None else DEFAULT_SESSION_ID


def active_sessions() -> list[str]:
    """Ids of sessions that have started and not ended."""
    with _lock:
        return list(_active)


def end_default_session() -> None:
    """Free the modules of the default session (also done at interpreter exit)."""
    from dspex_core import registry

    if registry._current is None:
        return
    default = Session(DEFAULT_SESSION_ID)
    for problem in registry.get().call_session_hook("dspex_session_end", default):
        warnings.warn(f"session end hook failed: {problem}", RuntimeWarning, stacklevel=2)


atexit.register(end_default_session)
