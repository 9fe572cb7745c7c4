"""Registering implementations without importing dspy.

``import dspy`` takes seconds; ``dspex backends`` and every registry build must not pay that.
:func:`lazy` returns a stand-in that imports the real implementation on first use. After that
the stand-in's methods are the real object's bound methods, so routed calls cost nothing extra.

The registry reads which optional contract methods an implementation has from its class,
without running ``__getattr__`` (so a stand-in is never woken by it), and the core calls only
those. The stand-in therefore declares exactly the methods every implementation of this backend
has (:class:`~dspex_dspy._base.DspyImplementation`: all of the contract's but ``compile`` and ``astream``), and
an optimizer's stand-in adds ``compile``: the module-type table's ``kind`` says which a type is,
before anything is imported.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from dspex_core.backend import module_type as table_row

_lock = threading.Lock()
_instances: dict[str, LazyImplementation] = {}
#: The contract methods a stand-in hands over to the real implementation once it is loaded.
_METHODS = ("create", "execute", "acreate", "aexecute", "describe", "save", "dump_state", "load_state", "compile",
            "unwrap", "render", "stream")


class LazyImplementation:
    """A stand-in for the implementation at ``"package.module:name"``, imported on first use."""

    #: dspy fires DSPy's callbacks for its modules itself (as :class:`~dspex_dspy._base.DspyImplementation` says)
    fires_callbacks = True

    def __init__(self, module_type: str, target: str):
        self.module_type = module_type
        self.target = target
        self._real: Any = None

    def load(self) -> Any:
        """The real implementation (imported once)."""
        real = self._real
        if real is None:
            with _lock:
                if self._real is None:
                    module_name, _, name = self.target.partition(":")
                    real = getattr(importlib.import_module(module_name), name)
                    for method in _METHODS:
                        if hasattr(type(self), method):
                            self.__dict__[method] = getattr(real, method)
                    self._real = real
                real = self._real
        return real

    def create(self, spec: Any, **options: Any) -> Any:
        return self.load().create(spec, **options)

    def execute(self, state: Any, inputs: Any, **options: Any) -> Any:
        return self.load().execute(state, inputs, **options)

    async def acreate(self, spec: Any, **options: Any) -> Any:
        return await self.load().acreate(spec, **options)

    async def aexecute(self, state: Any, inputs: Any, **options: Any) -> Any:
        return await self.load().aexecute(state, inputs, **options)

    def describe(self, state: Any) -> dict[str, Any]:
        return self.load().describe(state)

    def save(self, state: Any, path: Any) -> None:
        self.load().save(state, path)

    def dump_state(self, state: Any) -> dict[str, Any]:
        return self.load().dump_state(state)

    def load_state(self, spec: Any, state_dict: Any, **options: Any) -> Any:
        return self.load().load_state(spec, state_dict, **options)

    def unwrap(self, state: Any) -> Any:
        return self.load().unwrap(state)

    def render(self, state: Any, inputs: Any, **options: Any) -> Any:
        return self.load().render(state, inputs, **options)

    def stream(self, state: Any, inputs: Any, **options: Any) -> Any:
        return self.load().stream(state, inputs, **options)

    def __repr__(self) -> str:
        state = "loaded" if self._real is not None else "not loaded"
        return f"<dspex_dspy {self.module_type} ({self.target}, {state})>"


class LazyOptimizer(LazyImplementation):
    """The stand-in for an optimizer: it also has ``compile``."""

    def compile(self, state: Any, program: Any, *, trainset: Any, valset: Any = None, **options: Any) -> Any:
        return self.load().compile(state, program, trainset=trainset, valset=valset, **options)


def lazy(module_type: str, target: str) -> LazyImplementation:
    """The one stand-in for ``module_type`` (the same object on every registry build); an
    optimizer's, as the module-type table says, has ``compile``."""
    row = table_row(module_type)
    kind = LazyOptimizer if row is not None and row.kind == "optimizer" else LazyImplementation
    with _lock:
        found = _instances.get(module_type)
        if found is None or found.target != target or type(found) is not kind:
            found = _instances[module_type] = kind(module_type, target)
        return found
