"""Small real plugin objects for routing tests, registered with ``registry.register_plugin``."""

from __future__ import annotations

from typing import Any

from dspex_core import Prediction, hookimpl


class Impl:
    """An implementation that records its calls and can be told to fail."""

    def __init__(self, backend: str, create_error: BaseException | None = None,
                 execute_error: BaseException | None = None):
        self.backend = backend
        self.create_error = create_error
        self.execute_error = execute_error
        self.created: list[Any] = []
        self.executed: list[Any] = []

    def create(self, spec: Any, **options: Any) -> Any:
        if self.create_error is not None:
            raise self.create_error
        state = {"spec": spec, "options": options, "backend": self.backend}
        self.created.append(state)
        return state

    def execute(self, state: Any, inputs: Any, **options: Any) -> Prediction:
        if self.execute_error is not None:
            raise self.execute_error
        self.executed.append((state, dict(inputs), options))
        return Prediction(backend=self.backend, **inputs)


class BackendPlugin:
    """A plugin serving ``module_types`` as backend ``name``."""

    def __init__(self, name: str, module_types: Any, *, native: bool = False, priority: int = 0,
                 impl: Impl | None = None):
        self.name = name
        self.module_types = tuple(module_types)
        self.native = native
        self.priority = priority
        self.impl = impl or Impl(name)

    @hookimpl
    def dspex_register_implementations(self, register: Any) -> None:
        for module_type in self.module_types:
            register(module_type, self.impl, backend=self.name, native=self.native, priority=self.priority)
