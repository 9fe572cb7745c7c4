"""Registering implementations without importing dspy.

``import dspy`` takes seconds; ``dspex backends`` and every registry build must not pay
that. :func:`lazy` returns a stand-in that has ``create``/``execute`` (what the registry
checks) and imports the real implementation class on first use. After that the stand-in's
methods are the real object's bound methods, so routed calls cost nothing extra.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

_lock = threading.Lock()
_instances: dict[str, "LazyImplementation"] = {}


class LazyImplementation:
    """A stand-in for ``"package.module:Class"``, instantiated on first use."""

    def __init__(self, module_type: str, target: str):
        self.module_type = module_type
        self.target = target
        self._real: Any = None

    def load(self) -> Any:
        """The real implementation object (imported and made once)."""
        real = self._real
        if real is None:
            with _lock:
                if self._real is None:
                    module_name, _, class_name = self.target.partition(":")
                    real = getattr(importlib.import_module(module_name), class_name)()
                    for name in ("create", "execute", "acreate", "aexecute"):
                        method = getattr(real, name, None)
                        if method is not None:
                            self.__dict__[name] = method
                    self._real = real
                real = self._real
        return real

    def create(self, spec: Any, **options: Any) -> Any:
        return self.load().create(spec, **options)

    def execute(self, state: Any, inputs: Any, **options: Any) -> Any:
        return self.load().execute(state, inputs, **options)

    async def acreate(self, spec: Any, **options: Any) -> Any:
        real = self.load()
        acreate = getattr(real, "acreate", None)
        if acreate is None:
            import asyncio

            return await asyncio.to_thread(real.create, spec, **options)
        return await acreate(spec, **options)

    async def aexecute(self, state: Any, inputs: Any, **options: Any) -> Any:
        real = self.load()
        aexecute = getattr(real, "aexecute", None)
        if aexecute is None:
            import asyncio

            return await asyncio.to_thread(real.execute, state, inputs, **options)
        return await aexecute(state, inputs, **options)

    # The contract's other methods, declared here so that the registry sees them without
    # importing dspy; every dspy-backed implementation has them (see _base.DspyImplementation).
    def describe(self, state: Any) -> dict[str, Any]:
        return self.load().describe(state)

    def save(self, state: Any, path: Any) -> None:
        self.load().save(state, path)

    def dump_state(self, state: Any) -> dict[str, Any]:
        return self.load().dump_state(state)

    def load_state(self, spec: Any, state_dict: Any, **options: Any) -> Any:
        return self.load().load_state(spec, state_dict, **options)

    def __getattr__(self, name: str) -> Any:
        # anything else the real object has (create_options, build, store, ...)
        if name.startswith("__") or name in ("_real", "target", "module_type"):
            raise AttributeError(name)
        return getattr(self.load(), name)

    def __repr__(self) -> str:
        state = "loaded" if self._real is not None else "not loaded"
        return f"<dspex_dspy {self.module_type} ({self.target}, {state})>"


class LazyOptimizer(LazyImplementation):
    """A stand-in for an optimizer: it also has ``compile``."""

    def compile(self, state: Any, program: Any, *, trainset: Any, valset: Any = None, **options: Any) -> Any:
        return self.load().compile(state, program, trainset=trainset, valset=valset, **options)


def lazy(module_type: str, target: str, *, optimizer: bool = False) -> LazyImplementation:
    """The one stand-in for ``module_type`` (the same object on every registry build)."""
    kind = LazyOptimizer if optimizer else LazyImplementation
    with _lock:
        found = _instances.get(module_type)
        if found is None or found.target != target or type(found) is not kind:
            found = _instances[module_type] = kind(module_type, target)
        return found
