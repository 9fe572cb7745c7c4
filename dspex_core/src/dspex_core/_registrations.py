"""A built registry: every plugin's registrations, checked, and who serves which module type.

:class:`Registry` loads the ``dspex.backends`` plugins (see :mod:`dspex_core._plugins`) and calls
each one's hooks, one plugin at a time, so that a plugin that raises (``sys.exit()`` included) or
registers something wrong is recorded with its error (a warning, a row in ``dspex backends``)
and its other registrations are rolled back, while every other plugin registers as usual.

This module is imported when the registry is first built, not by ``import dspex_core``: it
brings pluggy, attrs and the plugins themselves.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

import attrs

from dspex_core import _plugins
from dspex_core._interrupts import InterruptWatch
from dspex_core._implementation import check_implementation, declared_not_implemented, implemented_methods
from dspex_core.errors import PluginError


def _snake_case(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.isidentifier():
        raise PluginError(f"module type must be a snake_case name, got {value!r}")


def _backend_name(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PluginError(f"backend must be a non-empty name such as 'native' or 'mybackend', got {value!r}")


def _priority(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PluginError(f"priority must be an integer (the highest wins among backends of the same kind), "
                          f"got {value!r}")


@attrs.frozen
class Registration:
    """One ``register(...)`` call: a backend's implementation of one module type.

    ``methods`` are the optional contract methods the implementation has (see
    :mod:`dspex_core.backend`), found once here so that no call has to probe for them.
    """

    module_type: str = attrs.field(validator=_snake_case)
    implementation: Any = attrs.field(repr=False)
    backend: str = attrs.field(validator=_backend_name)
    native: bool = attrs.field(converter=bool)
    priority: int = attrs.field(validator=_priority)
    plugin: str
    methods: frozenset[str] = attrs.field(repr=False)


@attrs.define
class ExecutorInfo:
    """An executor as ``dspex executors`` shows it: who registered it, and its error if any.

    ``factory`` makes the executor from ``executor_options`` (an executor object registered
    directly serves as its own factory when no options are given).
    """

    name: str
    plugin: str
    distribution: str
    version: str
    factory: Any = attrs.field(default=None, repr=False)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "plugin": self.plugin, "distribution": self.distribution,
                "version": self.version, "error": self.error}


@attrs.define
class BackendInfo:
    """A backend as ``dspex backends`` shows it; ``error`` is set when its plugin failed."""

    name: str
    plugin: str
    distribution: str
    version: str
    native: bool = False
    module_types: list[str] = attrs.Factory(list)
    error: str | None = None
    #: module type -> features of it not built yet (the implementation's ``not_implemented``)
    not_implemented: dict[str, list[str]] = attrs.Factory(dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "plugin": self.plugin, "distribution": self.distribution,
                "version": self.version, "native": self.native, "module_types": list(self.module_types),
                "not_implemented": {k: list(v) for k, v in self.not_implemented.items()}, "error": self.error}

    def __repr__(self) -> str:
        return f"BackendInfo({self.name!r}, {self.distribution} {self.version}, native={self.native})"


class Registry:
    """The registrations of every loaded plugin, by module type and by (backend, module type)."""

    def __init__(self, generation: int) -> None:
        import pluggy

        from dspex_core import hookspecs

        self.generation = generation
        self.pm = pluggy.PluginManager("dspex")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, _plugins.PluginInfo] = {}
        self.backends: dict[str, BackendInfo] = {}
        self.by_type: dict[str, list[Registration]] = {}
        self.by_key: dict[tuple[str, str], Registration] = {}
        self.executors: dict[str, ExecutorInfo] = {}
        #: failed plugins, as rows of ``dspex executors`` (a plugin that failed may have been one)
        self.executor_failures: list[ExecutorInfo] = []
        self._telemetry: list[tuple[tuple[str, ...], Callable[..., Any]]] = []
        #: the callbacks plugins registered (``dspex_register_callbacks``), in load order
        self.callbacks: list[tuple[str, Any]] = []
        self.failures: list[_plugins.PluginInfo] = []
        #: open while :meth:`load` runs the plugins' code (see :mod:`dspex_core._interrupts`)
        self._watch = InterruptWatch()

    # -- building --------------------------------------------------------------------------
    def load(self, extra: Iterable[tuple[str, Any]] = ()) -> None:
        """Load every installed plugin, then the in-process ones (``extra``: name, object)."""
        from importlib import metadata

        from dspex_core._asyncio_executor import AsyncioExecutor
        from dspex_core._thread_executor import ThreadExecutor

        try:
            version = metadata.version("dspex-core")
        except metadata.PackageNotFoundError:  # run from a source tree
            version = "?"
        for name, factory in (("threads", ThreadExecutor), ("asyncio", AsyncioExecutor)):
            self.executors[name] = ExecutorInfo(name, "dspex_core", "dspex-core", version, factory)
        with InterruptWatch() as self._watch:  # a plugin's KeyboardInterrupt is its failure, a Ctrl-C is not
            for info in _plugins.discover(self._watch):
                self._add_plugin(info)
            disabled = _plugins.disabled_plugins()
            for name, obj in extra:
                if name in disabled:  # DSPEX_DISABLE_PLUGINS blocks in-process plugins by name too
                    continue
                self._add_plugin(_plugins.PluginInfo(name, getattr(obj, "__name__", repr(obj)), "(in-process)",
                                                     "-", obj=obj))
        for regs in self.by_type.values():
            regs.sort(key=lambda r: (-r.priority, r.backend))

    def _add_plugin(self, info: _plugins.PluginInfo) -> None:
        self.plugins[info.name] = info
        if info.error is not None:
            self._record_failure(info)
            return
        try:
            self.pm.register(info.obj, name=info.name)
        except BaseException as exc:  # noqa: BLE001 - a malformed hookimpl, a duplicate name
            if not _plugins.contained(exc, self._watch):
                raise
            info.error = f"failed to register hooks: {_plugins.describe_error(exc)}"
            warnings.warn(f"dspex plugin {info.name!r}: {info.error}", RuntimeWarning, stacklevel=3)
            self._record_failure(info)
            return
        info.hooks = sorted(h.name for h in self.pm.get_hookcallers(info.obj) or ())
        if not self._call_plugin_hook(info, "dspex_register_implementations", register=self._register_for(info)):
            self._rollback(info)  # half a plugin is worse than none: its other registrations go too
        if not self._call_plugin_hook(info, "dspex_register_executors", register=self._register_executor_for(info)):
            for name in [n for n, e in self.executors.items() if e.plugin == info.name]:
                del self.executors[name]
        self._call_plugin_hook(info, "dspex_attach_telemetry", attach=self._attach_for(info))
        if not self._call_plugin_hook(info, "dspex_register_callbacks", register=self._register_callback_for(info)):
            self.callbacks = [(plugin, cb) for plugin, cb in self.callbacks if plugin != info.name]
        if info.error is not None:
            self._record_failure(info)

    def _record_failure(self, info: _plugins.PluginInfo) -> None:
        self.failures.append(info)
        self.executor_failures.append(ExecutorInfo(info.name, info.name, info.distribution, info.version,
                                                   error=info.error))
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
            except BaseException as exc:  # noqa: BLE001 - reported, never fatal (sys.exit() included)
                if not _plugins.contained(exc, self._watch):
                    raise  # the user pressed Ctrl-C
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
            """Register ``implementation`` as ``backend``'s implementation of ``module_type``."""
            name = backend or info.name
            if isinstance(implementation, type):
                implementation = implementation()
            problems = check_implementation(implementation)
            if problems:
                raise PluginError(f"plugin {info.name!r}: implementation {implementation!r} of {module_type!r}: "
                                  + "; ".join(problems))
            reg = Registration(module_type, implementation, name, native, priority, info.name,
                               implemented_methods(implementation))
            owner = self.backends.get(name)
            if owner is not None and owner.plugin != info.name:
                raise PluginError(f"backend name {name!r} is already registered by plugin {owner.plugin!r}")
            if (name, module_type) in self.by_key:
                raise PluginError(f"backend {name!r} registered {module_type!r} twice")
            if owner is None:
                owner = self.backends[name] = BackendInfo(name, info.name, info.distribution, info.version,
                                                          native=reg.native)
            owner.native = owner.native or reg.native
            owner.module_types.append(module_type)
            not_built = declared_not_implemented(implementation)
            if not_built:
                owner.not_implemented[module_type] = not_built
            self.by_type.setdefault(module_type, []).append(reg)
            self.by_key[(name, module_type)] = reg

        return register

    def _register_executor_for(self, info: _plugins.PluginInfo) -> Callable[..., None]:
        def register(name: str, factory: Any) -> None:
            """Register ``factory(**executor_options) -> executor`` (or an executor object) as ``name``."""
            if not isinstance(name, str) or not name.strip():
                raise PluginError(f"an executor's name must be a non-empty string, got {name!r}")
            if not callable(getattr(factory, "map", None)) and not callable(factory):
                raise PluginError(f"executor {name!r} must be a factory (executor_options -> executor) or an "
                                  f"object with a map(fn, items, *, max_workers) method, got {factory!r}")
            owner = self.executors.get(name)
            if owner is not None and owner.plugin != info.name:
                raise PluginError(f"executor name {name!r} is already registered by {owner.distribution} "
                                  f"(plugin {owner.plugin!r})")
            self.executors[name] = ExecutorInfo(name, info.name, info.distribution, info.version, factory)

        return register

    def _attach_for(self, info: _plugins.PluginInfo) -> Callable[..., None]:
        """The ``attach`` a plugin's telemetry hook gets: its handlers are known to be the plugin's,
        so that a handler that raises is reported with the plugin's name."""
        from dspex_core import telemetry

        def attach(event: Any, handler: Callable[..., Any]) -> None:
            """Call ``handler(event, measurements, metadata)`` whenever ``event`` is emitted."""
            telemetry.attach(event, handler, plugin=info.name)
            self._telemetry.append((tuple(event), handler))

        return attach

    def _register_callback_for(self, info: _plugins.PluginInfo) -> Callable[[Any], None]:
        def register(callback: Any) -> None:
            """Tell ``callback`` (DSPy's ``BaseCallback`` methods) about every call in the process."""
            from dspex_core.callbacks import KINDS

            if callback is None or isinstance(callback, (str, bytes, int, float, dict, list, tuple, type)) or not any(
                    callable(getattr(callback, f"on_{kind}_{when}", None)) for kind in KINDS for when in ("start", "end")):
                raise PluginError(f"a callback must be an object with DSPy's BaseCallback methods (on_module_start, "
                                  f"on_lm_end, ...), got {callback!r}")
            self.callbacks.append((info.name, callback))

        return register

    def install_callbacks(self) -> None:
        """Make the plugins' callbacks the ones every call is told about (the registry is now current)."""
        from dspex_core.callbacks import install_plugin_callbacks

        if self.callbacks:
            install_plugin_callbacks(tuple(cb for _, cb in self.callbacks))

    def announce_failures(self) -> None:
        """Emit ``("dspex", "plugin", "error")`` per failed plugin (once the registry is current)."""
        from dspex_core import telemetry

        if not self.failures or not telemetry.has_handlers(telemetry.PLUGIN_ERROR):
            return
        for info in self.failures:
            telemetry.emit(telemetry.PLUGIN_ERROR, {"timestamp": telemetry.timestamp()},
                           {"plugin": info.name, "error": info.error})

    def close(self) -> None:
        """Detach the telemetry handlers and callbacks the plugins attached (the registry is being replaced)."""
        from dspex_core import telemetry

        if self.callbacks:
            from dspex_core.callbacks import install_plugin_callbacks

            install_plugin_callbacks(())

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
