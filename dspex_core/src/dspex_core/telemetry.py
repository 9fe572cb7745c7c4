"""Telemetry events, in the shape of Erlang's ``:telemetry`` library.

An event is a tuple of names such as ``("dspex", "router", "route")``; a handler is called as
``handler(event, measurements, metadata)``. Handlers attach with :func:`attach` or through the
``dspex_attach_telemetry`` hook. With ``telemetry_enabled=False`` nothing is built or sent,
and with no handler attached an event costs one dictionary look-up.

Events dspex emits:

``("dspex", "router", "route")``
    measurements ``{timestamp}``; metadata ``{operation, module_type, implementation,
    native_available}``. Once per routed ``create``/``execute``/``compile``.
``("dspex", "router", "fallback")``
    measurements ``{timestamp}``; metadata ``{operation, module_type, from_implementation,
    to_implementation, error}``.
``("dspex", "module", "execute")``
    measurements ``{duration}`` (seconds); metadata ``{module_type, implementation, status}``.
``("dspex", "session", "start")`` / ``("dspex", "session", "end")``
    measurements ``{timestamp}`` (and ``{duration}`` at the end); metadata ``{session_id}``.
``("dspex", "plugin", "error")``
    measurements ``{timestamp}``; metadata ``{plugin, error}``.

A handler that raises is detached and reported with a warning, as ``:telemetry`` does, so
a broken handler never breaks a module call. The warning names the handler (its module and
qualified name) and, for one a plugin attached through the hook, the plugin, so that the
user knows which package to blame.
"""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any, Callable, Mapping

Event = tuple[str, ...]
Handler = Callable[[Event, Mapping[str, Any], Mapping[str, Any]], None]

ROUTE: Event = ("dspex", "router", "route")
FALLBACK: Event = ("dspex", "router", "fallback")
EXECUTE: Event = ("dspex", "module", "execute")
SESSION_START: Event = ("dspex", "session", "start")
SESSION_END: Event = ("dspex", "session", "end")
PLUGIN_ERROR: Event = ("dspex", "plugin", "error")

_handlers: dict[Event, tuple[Handler, ...]] = {}
#: (event, id(handler)) -> the plugin that attached the handler through the telemetry hook
_owners: dict[tuple[Event, int], str] = {}
_lock = threading.Lock()


def attach(event: Event | list[str], handler: Handler, *, plugin: str | None = None) -> Handler:
    """Call ``handler(event, measurements, metadata)`` whenever ``event`` is emitted.

    ``plugin`` names the plugin the handler belongs to (the registry passes it for handlers
    attached through the ``dspex_attach_telemetry`` hook); warnings about the handler name it.
    """
    key = tuple(event)
    with _lock:
        _handlers[key] = (*_handlers.get(key, ()), handler)
        if plugin is not None:
            _owners[(key, id(handler))] = plugin
    return handler


def detach(event: Event | list[str], handler: Handler) -> bool:
    """Remove a handler; returns whether it was attached."""
    key = tuple(event)
    with _lock:
        current = _handlers.get(key, ())
        if handler not in current:
            return False
        remaining = tuple(h for h in current if h is not handler)
        if handler not in remaining:
            _owners.pop((key, id(handler)), None)
        if remaining:
            _handlers[key] = remaining
        else:
            del _handlers[key]
        return True


def has_handlers(event: Event) -> bool:
    """Whether emitting ``event`` would reach anyone (callers skip building payloads if not)."""
    return event in _handlers


def emit(event: Event, measurements: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
    """Send an event to its handlers (when telemetry is enabled)."""
    handlers = _handlers.get(event)
    if not handlers:
        return
    if not _settings().telemetry_enabled:
        return
    for handler in handlers:
        try:
            handler(event, measurements, metadata)
        except Exception as exc:  # a broken handler must not break the call that emitted
            owner = _owners.get((event, id(handler)))
            detach(event, handler)
            warnings.warn(f"telemetry handler {describe_handler(handler)} "
                          + (f"(attached by plugin {owner!r}) " if owner else "")
                          + f"for {'.'.join(event)} raised {type(exc).__name__}: {exc}; it was detached",
                          RuntimeWarning, stacklevel=2)


def describe_handler(handler: Any) -> str:
    """``module.qualname`` of a function or method, ``module.Class instance`` of a callable object."""
    target = getattr(handler, "__func__", handler)  # a bound method: its function
    name = getattr(target, "__qualname__", None)
    if not isinstance(name, str):
        target = type(handler)
        name = f"{target.__qualname__} instance"
    module = getattr(target, "__module__", None)
    return f"{module}.{name}" if module else name


def _settings() -> Any:
    global _settings
    from dspex_core.config import settings

    _settings = settings  # later calls go straight to config.settings
    return settings()


def timestamp() -> int:
    """A monotonic timestamp in nanoseconds (comparable within one process only)."""
    return time.monotonic_ns()


def clear() -> None:
    """Detach every handler (tests use it)."""
    with _lock:
        _handlers.clear()
        _owners.clear()
