"""The registry: which installed backend implements which module type.

It is built lazily, on the first call that needs it, by loading the ``dspex.backends`` entry
points and calling each plugin's ``dspex_register_implementations(register)`` hook, one plugin
at a time so that a plugin that raises is recorded and the others still register.
:func:`refresh` rebuilds it, which picks up plugins installed or upgraded since.

Public functions: :func:`has_native`, :func:`list_by_implementation`, :func:`backends`,
:func:`plugins`, :func:`module_types`, :func:`refresh`, :func:`register_plugin`.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, Iterable

from dspex_core import _plugins
from dspex_core.errors import PluginError

#: Module types named by the seed and by DSPy; a type outside this list is unknown unless a
#: plugin registers it.
KNOWN_MODULE_TYPES: tuple[str, ...] = (
    "signature", "template", "validator", "metrics", "predict", "chain_of_thought", "react",
    "program_of_thought", "multi_chain_comparison", "retry", "bootstrap_few_shot", "mipro",
    "mipro_v2", "copro", "colbert_v2", "retrieve", "evaluate", "best_of_n", "refine",
    "labeled_few_shot", "bootstrap_few_shot_with_random_search", "knn_few_shot", "ensemble",
    "parallel", "simba", "gepa", "bootstrap_finetune", "code_act",
)


class Registration:
    """One ``register(...)`` call: a backend's implementation of one module type."""

    __slots__ = ("module_type", "implementation", "backend", "native", "priority", "plugin")

    def __init__(self, module_type: str, implementation: Any, backend: str, native: bool, priority: int, plugin: str):
        self.module_type = module_type
        self.implementation = implementation
        self.backend = backend
        self.native = native
        self.priority = priority
        self.plugin = plugin

    def __repr__(self) -> str:
        return (f"Registration({self.module_type!r}, backend={self.backend!r}, native={self.native}, "
                f"priority={self.priority})")


class BackendInfo:
    """A backend as ``dspex backends`` shows it."""

    __slots__ = ("name", "plugin", "distribution", "version", "native", "module_types", "error", "not_implemented")

    def __init__(self, name: str, plugin: str, distribution: str, version: str, native: bool = False,
                 module_types: list[str] | None = None, error: str | None = None,
                 not_implemented: dict[str, list[str]] | None = None):
        self.name = name
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.native = native
        self.module_types = module_types if module_types is not None else []
        self.error = error
        #: module type -> features of it not built yet (the implementation's ``not_implemented``)
        self.not_implemented = not_implemented if not_implemented is not None else {}

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "plugin": self.plugin, "distribution": self.distribution,
                "version": self.version, "native": self.native, "module_types": list(self.module_types),
                "not_implemented": {k: list(v) for k, v in self.not_implemented.items()}, "error": self.error}

    def __repr__(self) -> str:
        return f"BackendInfo({self.name!r}, {self.distribution} {self.version}, native={self.native})"


def _not_implemented(implementation: Any) -> list[str]:
    """The implementation's ``not_implemented`` declaration: features of its module type that
    are not built yet and raise ``CapabilityError`` (a ``NotImplementedError``) naming them."""
    try:  # not getattr: a lazy proxy's __getattr__ would load (and import) the real implementation
        declared = object.__getattribute__(implementation, "not_implemented")
    except AttributeError:
        declared = ()
    if isinstance(declared, str) or not isinstance(declared, (list, tuple)) or not all(
            isinstance(d, str) and d.strip() for d in declared):
        raise PluginError(f"not_implemented of {implementation!r} must be a list of non-empty strings "
                          f"(one phrase per feature not built yet), got {declared!r}")
    return list(declared)


def _check_implementation(implementation: Any) -> str | None:
    missing = [m for m in ("create", "execute") if not callable(getattr(implementation, m, None))]
    if missing:
        return f"implementation {implementation!r} lacks {' and '.join(missing)}()"
    return None


class Registry:
    """A built registry. Use the module-level functions; this class is their state."""

    def __init__(self) -> None:
        import pluggy

        from dspex_core import hookspecs

        self.generation = 0
        self.pm = pluggy.PluginManager("dspex")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, _plugins.PluginInfo] = {}
        self.backends: dict[str, BackendInfo] = {}
        self.by_type: dict[str, list[Registration]] = {}
        self.by_key: dict[tuple[str, str], Registration] = {}
        self.executors: dict[str, Any] = {}
        self._telemetry: list[tuple[tuple[str, ...], Callable[..., Any]]] = []
        self.failures: list[_plugins.PluginInfo] = []

    # -- building --------------------------------------------------------------------------
    def load(self, extra: Iterable[tuple[str, Any]] = ()) -> None:
        from dspex_core import executors

        self.executors["threads"] = executors.ThreadExecutor()
        for info in _plugins.discover():
            self._add_plugin(info)
        disabled = _plugins.disabled_plugins()
        for name, obj in extra:
            if name in disabled:  # DSPEX_DISABLE_PLUGINS blocks in-process plugins by name too
                continue
            self._add_plugin(_plugins.PluginInfo(name, getattr(obj, "__name__", repr(obj)), "(in-process)", "-",
                                                 obj=obj))
        for regs in self.by_type.values():
            regs.sort(key=lambda r: (-r.priority, r.backend))

    def _add_plugin(self, info: _plugins.PluginInfo) -> None:
        self.plugins[info.name] = info
        if info.error is not None:
            self._record_failure(info)
            return
        try:
            self.pm.register(info.obj, name=info.name)
        except Exception as exc:  # a malformed hookimpl, a duplicate name
            info.error = f"failed to register hooks: {_plugins.describe_error(exc)}"
            warnings.warn(f"dspex plugin {info.name!r}: {info.error}", RuntimeWarning, stacklevel=3)
            self._record_failure(info)
            return
        info.hooks = sorted(h.name for h in self.pm.get_hookcallers(info.obj) or ())
        if not self._call_plugin_hook(info, "dspex_register_implementations", register=self._register_for(info)):
            self._rollback(info)  # half a plugin is worse than none: its other registrations go too
        self._call_plugin_hook(info, "dspex_register_executors", register=self._register_executor)
        self._call_plugin_hook(info, "dspex_attach_telemetry", attach=self._attach_telemetry)
        if info.error is not None:
            self._record_failure(info)

    def _record_failure(self, info: _plugins.PluginInfo) -> None:
        self.failures.append(info)
        owned = [backend for backend in self.backends.values() if backend.plugin == info.name]
        for backend in owned:
            backend.error = info.error
        if owned:
            return
        self.backends[info.name] = BackendInfo(info.name, info.name, info.distribution, info.version,
                                               error=info.error)

    def _call_plugin_hook(self, info: _plugins.PluginInfo, hook: str, **kwargs: Any) -> bool:
        """Call one plugin's ``hook``; a failure is recorded on ``info`` and warned about.

        Returns whether the hook ran without raising.
        """
        caller = getattr(self.pm.hook, hook)
        ok = True
        for impl in caller.get_hookimpls():
            if impl.plugin_name != info.name:
                continue
            try:
                impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001 - reported, never fatal
                ok = False
                message = f"{hook} raised {_plugins.describe_error(exc)}"
                info.error = f"{info.error}; {message}" if info.error else message
                warnings.warn(f"dspex plugin {info.name!r}: {message}", RuntimeWarning, stacklevel=4)
        return ok

    def _rollback(self, info: _plugins.PluginInfo) -> None:
        """Forget every module type ``info``'s plugin registered (its backends stay, with the error)."""
        for module_type, regs in list(self.by_type.items()):
            kept = [r for r in regs if r.plugin != info.name]
            if kept:
                self.by_type[module_type] = kept
            else:
                del self.by_type[module_type]
        for key in [k for k, r in self.by_key.items() if r.plugin == info.name]:
            del self.by_key[key]
        for backend in self.backends.values():
            if backend.plugin == info.name:
                backend.module_types.clear()
                backend.not_implemented.clear()

    def _register_for(self, info: _plugins.PluginInfo) -> Callable[..., None]:
        def register(module_type: str, implementation: Any, backend: str | None = None, native: bool = False,
                     priority: int = 0) -> None:
            name = backend or info.name
            if not isinstance(module_type, str) or not module_type.isidentifier():
                raise PluginError(f"module type must be a snake_case name, got {module_type!r}")
            if isinstance(implementation, type):
                implementation = implementation()
            problem = _check_implementation(implementation)
            if problem:
                raise PluginError(problem)
            owner = self.backends.get(name)
            if owner is not None and owner.plugin != info.name:
                raise PluginError(f"backend name {name!r} is already registered by plugin {owner.plugin!r}")
            if (name, module_type) in self.by_key:
                raise PluginError(f"backend {name!r} registered {module_type!r} twice")
            not_built = _not_implemented(implementation)
            if owner is None:
                owner = self.backends[name] = BackendInfo(name, info.name, info.distribution, info.version,
                                                          native=bool(native))
            owner.native = owner.native or bool(native)
            owner.module_types.append(module_type)
            if not_built:
                owner.not_implemented[module_type] = not_built
            reg = Registration(module_type, implementation, name, bool(native), int(priority), info.name)
            self.by_type.setdefault(module_type, []).append(reg)
            self.by_key[(name, module_type)] = reg

        return register

    def _register_executor(self, name: str, executor: Any) -> None:
        if not callable(getattr(executor, "map", None)):
            raise PluginError(f"executor {name!r} needs a map(fn, items, *, max_workers) method")
        self.executors[name] = executor

    def _attach_telemetry(self, event: Any, handler: Callable[..., Any]) -> None:
        from dspex_core import telemetry

        telemetry.attach(event, handler)
        self._telemetry.append((tuple(event), handler))

    def announce_failures(self) -> None:
        """Emit ``("dspex", "plugin", "error")`` per failed plugin (once the registry is current)."""
        from dspex_core import telemetry

        if not self.failures or not telemetry.has_handlers(telemetry.PLUGIN_ERROR):
            return
        for info in self.failures:
            telemetry.emit(telemetry.PLUGIN_ERROR, {"timestamp": telemetry.timestamp()},
                           {"plugin": info.name, "error": info.error})

    def close(self) -> None:
        from dspex_core import telemetry

        for event, handler in self._telemetry:
            telemetry.detach(event, handler)
        self._telemetry.clear()

    # -- hooks at session boundaries ----------------------------------------------------
    def call_session_hook(self, hook: str, session: Any) -> list[str]:
        """Call ``hook`` on every plugin; failures are collected, never propagated."""
        problems = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            try:
                impl.function(session=session)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{impl.plugin_name}: {_plugins.describe_error(exc)}")
        return problems


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
            old_generation = 0
            registry = Registry()
            registry.load(_extra_plugins.items())
            registry.generation = old_generation + 1
            _current = registry
            registry.announce_failures()
        return _current


def refresh() -> Registry:
    """Re-read the installed plugins (new installs, upgrades, ``DSPEX_DISABLE_PLUGINS``)."""
    global _current
    with _lock:
        old = _current
        generation = old.generation if old is not None else 0
        if old is not None:
            old.close()
        registry = Registry()
        registry.load(_extra_plugins.items())
        registry.generation = generation + 1
        _current = registry
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
    """Whether some installed backend serves ``module_type`` natively (the seed's ``has_native?``)."""
    return any(r.native for r in get().by_type.get(module_type, ()))


def list_by_implementation() -> dict[str, list[str]]:
    """``{backend: [module types it serves]}`` for every working backend."""
    return {name: list(info.module_types) for name, info in get().backends.items() if info.module_types}


def module_types() -> list[str]:
    """Every module type some installed backend serves, sorted."""
    return sorted(get().by_type)


def known_module_types() -> list[str]:
    """Served module types plus the seed's and DSPy's names."""
    return sorted(set(KNOWN_MODULE_TYPES) | set(get().by_type))


def backends() -> list[BackendInfo]:
    """Every backend (and every plugin that failed), in load order."""
    return list(get().backends.values())


def installed_backends() -> list[str]:
    """Names of backends that registered at least one module type."""
    return [name for name, info in get().backends.items() if info.module_types]


def plugins() -> list[_plugins.PluginInfo]:
    """Every plugin entry point, with the hooks it implements and its error if any."""
    return list(get().plugins.values())


def executor(name: str) -> Any:
    """The executor registered under ``name`` (``"threads"`` is always there)."""
    executors = get().executors
    try:
        return executors[name]
    except KeyError:
        raise PluginError(f"no executor named {name!r}; registered: {', '.join(sorted(executors))}") from None
