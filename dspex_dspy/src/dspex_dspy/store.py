"""The per-session module store: where the dspy backend keeps the dspy modules it builds.

The state an implementation returns from ``create`` is the id of the stored module
(``"dspy-predict-3"``), not the module itself, so that ending a session frees its modules and a
reference used after that fails clearly: a ``ModuleRef`` carries the id as ``state`` and the
session as ``session_id``, and using a freed module is a
:class:`~dspex_core.errors.SessionError` that names the module and the session that ended.
Modules made outside any ``dspex.session()`` belong to the ``"default"`` session.

Thread-safe: creation, look-up and freeing may happen from any thread. Look-ups, the hot
path, read one dict without taking the lock.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from dspex_core.backend import current_session_id
from dspex_core.errors import SessionError

_counter = itertools.count(1)
_lock = threading.Lock()
#: module id -> (session id, dspy module, backend metadata: the create-time lm, adapter, ...)
_modules: dict[str, tuple[str, Any, dict[str, Any]]] = {}
#: session id -> module ids
_sessions: dict[str, set[str]] = {}
#: freed module id -> the session whose end freed it (bounded, for error messages)
_freed: dict[str, str] = {}
_FREED_LIMIT = 100_000


def put(module_type: str, module: Any, session_id: str | None = None, meta: dict[str, Any] | None = None) -> str:
    """Store ``module`` in ``session_id`` (the current session by default); return its id.

    ``meta`` holds what the backend needs besides the module (the create-time ``lm`` and
    ``adapter``, the input field names); it is kept beside the module, never inside it, so
    that dspy's ``save``/``deepcopy`` of the module never see it.
    """
    if session_id is None:
        session_id = current_session_id()
    module_id = f"dspy-{module_type.replace('_', '-')}-{next(_counter)}"
    with _lock:
        _modules[module_id] = (session_id, module, meta if meta is not None else {})
        _sessions.setdefault(session_id, set()).add(module_id)
    return module_id


def get(module_id: str) -> Any:
    """The stored dspy module, or a clear error when it was freed or never existed."""
    entry = _modules.get(module_id)
    if entry is not None:
        return entry[1]
    raise _missing(module_id)


def entry(module_id: str) -> tuple[Any, dict[str, Any]]:
    """The stored module and its metadata."""
    found = _modules.get(module_id)
    if found is None:
        raise _missing(module_id)
    return found[1], found[2]


def session_of(module_id: str) -> str:
    """The session a stored module belongs to."""
    entry = _modules.get(module_id)
    if entry is None:
        raise _missing(module_id)
    return entry[0]


def _missing(module_id: Any) -> SessionError:
    ended = _freed.get(module_id) if isinstance(module_id, str) else None
    if ended is not None:
        return SessionError(f"dspy module {module_id!r} was freed when its session {ended!r} ended; "
                            f"create it again (inside a live dspex.session() if you use sessions)")
    return SessionError(f"no dspy module {module_id!r} is stored by the dspy backend "
                        f"(was it made by this process's dspex_dspy?)")


def free_session(session_id: str) -> int:
    """Free every module of ``session_id``; return how many were freed."""
    with _lock:
        ids = _sessions.pop(session_id, set())
        if len(_freed) + len(ids) > _FREED_LIMIT:
            _freed.clear()
        for module_id in ids:
            _modules.pop(module_id, None)
            _freed[module_id] = session_id
    return len(ids)


def free(module_id: str) -> None:
    """Free one module (e.g. an optimizer's intermediate program)."""
    with _lock:
        entry = _modules.pop(module_id, None)
        if entry is not None:
            _sessions.get(entry[0], set()).discard(module_id)
            _freed[module_id] = entry[0]


def modules_in(session_id: str) -> list[str]:
    """Ids of the live modules of a session."""
    with _lock:
        return sorted(_sessions.get(session_id, ()))


def count() -> int:
    """How many modules are stored, over all sessions."""
    return len(_modules)
