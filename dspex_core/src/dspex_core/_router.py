"""The router: which backend serves a call, and falling back when that backend fails.

Selection, first rule that applies:

1. an explicit ``implementation=`` (``"python"`` means ``"dspy"``; ``"auto"`` means none);
2. ``implementation_overrides[module_type]``;
3. with ``prefer_native``: native backends by priority, then the others by priority;
4. without it: non-native backends by priority, then native ones.

Rules 1 and 2 name one backend and never fall back; rules 3 and 4 give an ordered list of
candidates, and with ``allow_fallback`` a candidate that fails for a reason other than the
user's input (see :func:`dspex_core.errors.allows_fallback`) hands over to the next one.
With ``implementation_cache`` the decision is memoised per (settings, registry, module
type, explicit choice): a new ``configure()``/``context()`` or a registry refresh makes
new keys, so nothing stale is ever served.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from dspex_core import registry, telemetry
from dspex_core._lru import LRUCache
from dspex_core._module_types import module_type as _known
from dspex_core._redact import redact
from dspex_core.config import Settings, normalize_backend
from dspex_core.errors import (
    BackendNotInstalledError,
    ModuleTypeNotServedError,
    UnknownModuleTypeError,
)

if TYPE_CHECKING:
    from dspex_core._registrations import Registration, Registry

Decision = tuple["Registration", ...]

_cache: LRUCache[tuple[int, int, str, str | None], tuple[Decision, bool]] = LRUCache(4096)


def clear_cache() -> None:
    """Forget memoised decisions (done automatically on registry refresh)."""
    _cache.clear()


registry.on_change(clear_cache)

#: Where a caller that wants to know (a pipeline step) collects the fallbacks of its calls:
#: ``(operation, failed_backend, serving_backend, subject)`` per candidate that took over;
#: ``subject`` is the module type for ``create`` and the ``ModuleRef`` for ``execute``, so
#: that fallbacks of modules nested inside the caller's can be told apart. ``None`` (the
#: default) records nothing; a list set here is shared with worker threads and copied
#: contexts, so fallbacks that run in ``asyncio.to_thread`` are seen too.
fallback_record: ContextVar[list[tuple[str, str, str, Any]] | None] = ContextVar("dspex_fallback_record",
                                                                                 default=None)


def record_fallback(operation: str, failed: str, to: str, subject: Any) -> None:
    """Note in :data:`fallback_record` (when someone collects) that ``to`` served after ``failed`` failed."""
    record = fallback_record.get()
    if record is not None:
        record.append((operation, failed, to, subject))


def select(module_type: str, explicit: str | None, settings: Settings) -> tuple[Decision, bool]:
    """The ordered candidates for a call, and whether fallback among them is allowed."""
    reg = registry.get()
    if settings.implementation_cache:
        key = (settings.generation, reg.generation, module_type, explicit)
        hit = _cache.get(key)
        if hit is not None:
            return hit
        return _cache.put(key, _decide(module_type, explicit, settings, reg))
    return _decide(module_type, explicit, settings, reg)


def _decide(module_type: str, explicit: str | None, settings: Settings, reg: Registry) -> tuple[Decision, bool]:
    if explicit is not None:
        explicit = normalize_backend(explicit)
        if explicit == "auto":
            explicit = None
    registrations = reg.by_type.get(module_type)
    if explicit is not None:
        return (_forced(module_type, explicit, reg, "implementation="),), False
    override = settings.implementation_overrides.get(module_type)
    if override is not None and override != "auto":
        return (_forced(module_type, override, reg, "implementation_overrides"),), False
    if not registrations:
        _raise_unserved(module_type, reg)
    natives = [r for r in registrations if r.native]
    others = [r for r in registrations if not r.native]
    ordered = natives + others if settings.prefer_native else others + natives
    return tuple(ordered), settings.allow_fallback


_INSTALL_HINTS = {"native": " (pip install dspex-native)", "dspy": " (pip install dspex-dspy)"}


def _forced(module_type: str, backend: str, reg: Registry, source: str) -> Registration:
    found = reg.by_key.get((backend, module_type))
    if found is not None:
        return found
    installed = [name for name, info in reg.backends.items() if info.module_types]
    if backend not in reg.backends or not reg.backends[backend].module_types:
        failed = reg.backends.get(backend)
        why = f" (it failed to load: {failed.error})" if failed is not None and failed.error else ""
        hint = _INSTALL_HINTS.get(backend, "")
        raise BackendNotInstalledError(
            f"cannot use backend {backend!r} for {module_type!r} (asked for by {source}): it is not "
            f"installed{why}; installed backends: {', '.join(installed) or 'none'}{hint}"
        )
    if module_type not in reg.by_type and _known(module_type) is None:
        _raise_unserved(module_type, reg)
    servers = [r.backend for r in reg.by_type.get(module_type, ())]
    raise ModuleTypeNotServedError(
        f"backend {backend!r} ({source}) does not serve {module_type!r}; "
        + (f"served by: {', '.join(servers)}" if servers else "no installed backend serves it")
        + f"; {backend!r} serves: {', '.join(reg.backends[backend].module_types)}"
    )


def _raise_unserved(module_type: str, reg: Registry) -> None:
    installed = [name for name, info in reg.backends.items() if info.module_types]
    if _known(module_type) is not None:
        raise ModuleTypeNotServedError(
            f"no installed backend serves the module type {module_type!r}; installed backends: "
            f"{', '.join(installed) or 'none'} (pip install a backend that provides it, e.g. dspex-dspy)"
        )
    known = sorted(set(registry.KNOWN_MODULE_TYPES) | set(reg.by_type))
    import difflib  # only on this error path

    close = difflib.get_close_matches(str(module_type), known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UnknownModuleTypeError(f"unknown module type {module_type!r}; {hint}known module types: {', '.join(known)}")


def emit_route(operation: str, module_type: str, backend: str) -> None:
    """The ``("dspex", "router", "route")`` event, when someone listens."""
    if telemetry.has_handlers(telemetry.ROUTE):
        telemetry.emit(
            telemetry.ROUTE,
            {"timestamp": telemetry.timestamp()},
            {"operation": operation, "module_type": module_type, "implementation": backend,
             "native_available": registry.has_native(module_type)},
        )


def emit_fallback(operation: str, module_type: str, failed: str, to: str, error: BaseException) -> None:
    """A candidate failed and the next one takes over (the error's text redacted: whatever a
    backend raised may quote what a server echoed)."""
    if telemetry.has_handlers(telemetry.FALLBACK):
        telemetry.emit(
            telemetry.FALLBACK,
            {"timestamp": telemetry.timestamp()},
            {"operation": operation, "module_type": module_type, "from_implementation": failed,
             "to_implementation": to, "error": redact(f"{type(error).__name__}: {error}", limit=None)},
        )


def emit_execute(module_type: str, backend: str, duration: float, status: str) -> None:
    """An execution finished (``status`` is ``"ok"`` or the exception's type name)."""
    if telemetry.has_handlers(telemetry.EXECUTE):
        telemetry.emit(telemetry.EXECUTE, {"duration": duration},
                       {"module_type": module_type, "implementation": backend, "status": status})


def describe_choice(module_type: str, implementation: Any = None) -> dict[str, Any]:
    """Explain the decision for ``module_type`` (used by ``dspex demo --explain``)."""
    from dspex_core.config import settings

    decision, fallback = select(module_type, implementation, settings())
    return {"module_type": module_type, "candidates": [r.backend for r in decision], "fallback": fallback}
