"""What a pipeline run returns: the final state, and per step who served it and how long it took."""

from __future__ import annotations

from typing import Any, Iterator

from dspex_core._jsonable import jsonable


class StepResult:
    """One step of a run: ``backend`` is the backend that actually served it (after any
    fallback), ``fallback_from`` the one that failed first (``None`` when none did),
    ``duration`` in seconds, ``outputs`` the step's :class:`~dspex_core.Prediction`."""

    __slots__ = ("name", "index", "module_type", "backend", "fallback_from", "duration", "outputs")

    def __init__(self, name: str, index: int, module_type: str, backend: str, fallback_from: str | None,
                 duration: float, outputs: Any):
        self.name = name
        self.index = index
        self.module_type = module_type
        self.backend = backend
        self.fallback_from = fallback_from
        self.duration = duration
        self.outputs = outputs

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "index": self.index, "module_type": self.module_type, "backend": self.backend,
                "fallback_from": self.fallback_from, "duration": self.duration, "outputs": jsonable(self.outputs)}

    def __repr__(self) -> str:
        via = f" (fallback from {self.fallback_from})" if self.fallback_from else ""
        return (f"StepResult({self.name!r}, backend={self.backend!r}{via}, duration={self.duration:.6f}, "
                f"outputs={list(self.outputs.keys()) if hasattr(self.outputs, 'keys') else self.outputs!r})")


class PipelineResult:
    """The final ``state`` (``res["analysis"]`` or ``res.analysis``), the ``steps`` that made it
    and the total ``duration`` in seconds."""

    __slots__ = ("state", "steps", "duration")

    def __init__(self, state: dict[str, Any], steps: list[StepResult], duration: float):
        self.state = state
        self.steps = steps
        self.duration = duration

    def __getitem__(self, key: str) -> Any:
        return self.state[key]

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not slots: the state's fields.
        try:
            return self.state[name]
        except KeyError:
            raise AttributeError(f"the pipeline's final state has no field {name!r}; it has: "
                                 f"{', '.join(self.state) or '(none)'}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.state

    def __iter__(self) -> Iterator[str]:
        return iter(self.state)

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON types (``json.dumps`` works on it)."""
        return {"state": jsonable(self.state), "steps": [step.to_dict() for step in self.steps],
                "duration": self.duration}

    def __repr__(self) -> str:
        served = ", ".join(f"{s.name}={s.backend}" for s in self.steps)
        return f"PipelineResult(fields={list(self.state)}, steps=[{served}], duration={self.duration:.6f})"
