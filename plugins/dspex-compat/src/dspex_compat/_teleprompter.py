"""DSPy's ``Teleprompter``: the base of the optimizers (``compile(student, trainset=...)``)."""

from __future__ import annotations

from typing import Any

__all__ = ["Teleprompter"]


class Teleprompter:
    def __init__(self) -> None:
        pass

    def compile(self, student: Any, *, trainset: list[Any], teacher: Any = None, valset: list[Any] | None = None,
                **kwargs: Any) -> Any:
        """Optimize the student program (each optimizer defines it)."""
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """The optimizer's parameters (its attributes)."""
        return self.__dict__
