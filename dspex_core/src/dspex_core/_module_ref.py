"""``ModuleRef``: the seed's tagged reference to a created module.

``{:native, state}`` and ``{:python, session_id, module_id}`` become one Python object with
``backend``, ``module_type``, ``handle`` (the backend's state: a native object, or the dspy
backend's stored-module id) and ``session_id``. It also remembers the spec and options it
was created with, so that a fallback can re-create the module on another backend, and the
implementation that made it, so that executing it needs no routing decision.
"""

from __future__ import annotations

from typing import Any, Mapping

#: Keyword arguments of ``ref(...)`` that are call options, not inputs (as in DSPy).
CALL_OPTIONS = frozenset({"lm", "config", "demos"})


_execute: Any = None


def _load_execute() -> Any:
    """``_api.execute``, imported on first call (``_api`` imports this module)."""
    global _execute
    from dspex_core._api import execute

    _execute = execute
    return execute


class ModuleRef:
    """A created module. Call it like a DSPy module: ``ref(question="...")``."""

    __slots__ = ("backend", "module_type", "handle", "session_id", "spec", "options", "_impl",
                 "_fallbacks", "_fallback_states", "_remake", "__weakref__")

    def __init__(self, backend: str, module_type: str, handle: Any, session_id: str, spec: Any = None,
                 options: Mapping[str, Any] | None = None, implementation: Any = None,
                 fallbacks: tuple[Any, ...] = ()):
        self.backend = backend
        self.module_type = module_type
        self.handle = handle
        self.session_id = session_id
        self.spec = spec
        self.options = dict(options or {})
        self._impl = implementation
        self._fallbacks = fallbacks
        self._fallback_states: dict[str, Any] | None = None
        #: how a fallback backend makes this module (``None``: ``create(spec, **options)``;
        #: a loaded program sets it to load the same saved state there)
        self._remake: Any = None

    @property
    def implementation(self) -> Any:
        """The backend object serving this module (looked up again if it was not given)."""
        if self._impl is None:
            from dspex_core import registry
            from dspex_core.errors import BackendNotInstalledError

            reg = registry.lookup(self.backend, self.module_type)
            if reg is None:
                raise BackendNotInstalledError(
                    f"backend {self.backend!r} no longer serves {self.module_type!r}; installed: "
                    f"{', '.join(registry.installed_backends()) or 'none'}"
                )
            self._impl = reg.implementation
        return self._impl

    def __call__(self, **kwargs: Any) -> Any:
        execute = _execute or _load_execute()
        if CALL_OPTIONS.isdisjoint(kwargs):
            return execute(self, kwargs)
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        return execute(self, kwargs, **options)

    async def acall(self, **kwargs: Any) -> Any:
        """The async twin of calling the reference."""
        from dspex_core._api import aexecute

        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        return await aexecute(self, kwargs, **options)

    def describe(self) -> dict[str, Any]:
        """What the backend can say about this module (signature, demos, instructions, ...)."""
        describe = getattr(self.implementation, "describe", None)
        base = {"backend": self.backend, "module_type": self.module_type, "session_id": self.session_id}
        if describe is None:
            return base
        return {**base, **describe(self.handle)}

    def save(self, path: Any) -> None:
        """Save the module's learned state (demos, instructions) where the backend supports it."""
        save = getattr(self.implementation, "save", None)
        if save is None:
            from dspex_core.errors import CapabilityError

            raise CapabilityError(f"backend {self.backend!r} cannot save {self.module_type!r} modules yet")
        save(self.handle, path)

    def __repr__(self) -> str:
        return (f"ModuleRef(backend={self.backend!r}, module_type={self.module_type!r}, "
                f"session_id={self.session_id!r})")
