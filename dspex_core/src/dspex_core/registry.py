"""The registry: which installed backend implements which module type.

It is built lazily, on the first call that needs it, by loading the ``dspex.backends`` entry
points and calling each plugin's ``dspex_register_implementations(register)`` hook (see
:mod:`dspex_core._registrations`, which also checks every implementation against the contract
in :mod:`dspex_core.backend`). :func:`refresh` rebuilds it, which picks up plugins installed or
upgraded since.

Public functions: :func:`has_native`, :func:`list_by_implementation`, :func:`backends`,
:func:`plugins`, :func:`module_types`, :func:`known_module_types`, :func:`refresh`,
:func:`register_plugin`, :func:`executors`, :func:`executor`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping

from dspex_core._module_types import module_types as _table
from dspex_core.errors import PluginError

if TYPE_CHECKING:
    from dspex_core._plugins import PluginInfo
    from dspex_core._registrations import BackendInfo, ExecutorInfo, Registration, Registry

#: Every module type of the module-type table (:func:`dspex_core.backend.module_types`); a type
#: outside it is unknown unless a plugin registers it.
KNOWN_MODULE_TYPES: tuple[str, ...] = tuple(_table())

_lock = threading.RLock()
_current: Registry | None = None
_extra_plugins: dict[str, Any] = {}
_listeners: list[Callable[[], None]] = []


def get() -> Registry:
    """The built registry (building it on first use)."""
    current = _current
    if current is not None:
        return current
    return _build()


def _build() -> Registry:
    global _current
    with _lock:
        if _current is None:
            from dspex_core._registrations import Registry

            registry = Registry(generation=1)
            registry.load(_extra_plugins.items())
            _current = registry
            registry.install_callbacks()
            registry.announce_failures()
        return _current


def refresh() -> Registry:
    """Re-read the installed plugins (new installs, upgrades, ``DSPEX_DISABLE_PLUGINS``)."""
    global _current
    with _lock:
        from dspex_core._registrations import Registry

        old = _current
        generation = old.generation if old is not None else 0
        if old is not None:
            old.close()
        registry = Registry(generation=generation + 1)
        registry.load(_extra_plugins.items())
        _current = registry
        registry.install_callbacks()
        for listener in list(_listeners):
            listener()
        registry.announce_failures()
        return registry


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener()`` after every :func:`refresh` (the router clears its cache)."""
    _listeners.append(listener)


def register_plugin(obj: Any, name: str) -> None:
    """Add an in-process plugin object (a module or instance with hookimpls) and refresh.

    Packaged plugins use the entry point; this is for notebooks, tests and trying out a
    plugin before packaging it.
    """
    with _lock:
        _extra_plugins[name] = obj
        refresh()


def unregister_plugin(name: str) -> None:
    """Remove an in-process plugin added with :func:`register_plugin` and refresh."""
    with _lock:
        _extra_plugins.pop(name, None)
        refresh()


# -- queries ------------------------------------------------------------------------------
def candidates(module_type: str) -> list[Registration]:
    """Every registration of ``module_type``, highest priority first."""
    return list(get().by_type.get(module_type, ()))


def lookup(backend: str, module_type: str) -> Registration | None:
    """The registration of ``module_type`` by ``backend``, if any."""
    return get().by_key.get((backend, module_type))


def has_native(module_type: str) -> bool:
    """Whether some installed backend serves ``module_type`` natively (in process, without dspy)."""
    return any(r.native for r in get().by_type.get(module_type, ()))


def list_by_implementation() -> dict[str, list[str]]:
    """``{backend: [module types it serves]}`` for every working backend."""
    return {name: list(info.module_types) for name, info in get().backends.items() if info.module_types}


def module_types() -> list[str]:
    """Every module type some installed backend serves, sorted."""
    return sorted(get().by_type)


def known_module_types() -> list[str]:
    """The module-type table's types plus any other type a plugin registers, sorted."""
    return sorted(set(KNOWN_MODULE_TYPES) | set(get().by_type))


def backends() -> list[BackendInfo]:
    """Every backend (and every plugin that failed), in load order."""
    return list(get().backends.values())


def installed_backends() -> list[str]:
    """Names of backends that registered at least one module type."""
    return [name for name, info in get().backends.items() if info.module_types]


def plugins() -> list[PluginInfo]:
    """Every plugin entry point, with the hooks it implements and its error if any."""
    return list(get().plugins.values())


def executors() -> list[ExecutorInfo]:
    """Every registered executor (``threads`` and ``asyncio`` first), then every plugin that failed
    to load (it may have been one), with its error."""
    current = get()
    return [*current.executors.values(), *current.executor_failures]


def executor_names() -> list[str]:
    """The names of the registered executors, sorted."""
    return sorted(get().executors)


_instances: dict[tuple[int, str, str], Any] = {}


def executor(name: str | None = None, options: Mapping[str, Any] | None = None) -> Any:
    """The executor named ``name`` (default: the configured ``executor``), made by its factory
    from ``options`` (default: the configured ``executor_options`` when ``name`` is the configured
    executor, else none); one instance per registry,
    name and options, so that an executor's workers and connections are reused.

    An unknown name is an :class:`~dspex_core.errors.InputError` listing the installed executors.
    """
    from dspex_core.config import settings
    from dspex_core.errors import InputError

    current = get()
    if name is None or options is None:
        now = settings()
        name = now.executor if name is None else name
        if options is None:  # the configured options are the configured executor's, not another's
            options = now.executor_options if name == now.executor else {}
    info = current.executors.get(name)
    if info is None:
        raise InputError(f"no executor named {name!r}; installed: {', '.join(sorted(current.executors))} "
                         f"(dspex executors lists them and any plugin that failed to load)")
    key = (current.generation, name, repr(sorted(options.items())))
    found = _instances.get(key)
    if found is not None:
        return found
    with _lock:
        found = _instances.get(key)
        if found is None:
            found = _make_executor(info, options)
            for old in [k for k in _instances if k[0] != current.generation]:
                del _instances[old]
            _instances[key] = found
    return found


def _make_executor(info: ExecutorInfo, options: Mapping[str, Any]) -> Any:
    from dspex_core.errors import ConfigError

    factory = info.factory
    if not isinstance(factory, type) and callable(getattr(factory, "map", None)):  # an executor object itself
        if options:
            raise ConfigError(f"executor {info.name!r} ({info.distribution}) takes no executor_options; "
                              f"got {', '.join(sorted(options))}")
        return factory
    try:
        made = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"executor_options {dict(options)!r} do not fit executor {info.name!r} "
                          f"({info.distribution}): {exc}") from None
    if not callable(getattr(made, "map", None)):
        raise PluginError(f"executor {info.name!r}'s factory ({info.distribution}) returned {made!r}, which has "
                          f"no map(fn, items, *, max_workers) method")
    return made
