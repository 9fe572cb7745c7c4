"""DSPy's ``Completions``: a prediction's n completions held field by field (``c.answer`` is every
completion's answer, ``c[0]`` the first completion as a ``Prediction``)."""

from __future__ import annotations

from typing import Any

from dspex_core import Prediction

__all__ = ["Completions"]


class Completions:
    def __init__(self, list_or_dict: list[dict[str, Any]] | dict[str, list[Any]], signature: Any = None):
        self.signature = signature
        if isinstance(list_or_dict, list):
            fields: dict[str, list[Any]] = {}
            for completion in list_or_dict:
                for key, value in completion.items():
                    fields.setdefault(key, []).append(value)
        else:
            fields = dict(list_or_dict)
        if not all(isinstance(v, list) for v in fields.values()):
            raise ValueError("Completions takes a list of dicts, or a dict of lists")
        if len({len(v) for v in fields.values()}) > 1:
            raise ValueError("every field of Completions must have the same number of values")
        self._completions = fields

    def items(self) -> Any:
        return self._completions.items()

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            if key < 0 or key >= len(self):
                raise IndexError("Index out of range")
            return Prediction(**{k: v[key] for k, v in self._completions.items()})
        return self._completions[key]

    def __getattr__(self, name: str) -> Any:
        if name == "_completions":
            raise AttributeError(name)
        if name in self._completions:
            return self._completions[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __len__(self) -> int:
        return len(next(iter(self._completions.values()))) if self._completions else 0

    def __contains__(self, key: str) -> bool:
        return key in self._completions

    def __repr__(self) -> str:
        items_repr = ",\n    ".join(f"{k}={v!r}" for k, v in self._completions.items())
        return f"Completions(\n    {items_repr}\n)"

    def __str__(self) -> str:
        return self.__repr__()
