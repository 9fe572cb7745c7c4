"""DSPy's ``dotdict``: a dict whose keys read as attributes (settings and configs use it)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["dotdict"]


class dotdict(dict):  # noqa: N801 - DSPy's name
    def __getattr__(self, key: str) -> Any:
        if key.startswith("__") and key.endswith("__"):
            return super().__getattribute__(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'") from None

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("__") and key.endswith("__"):
            super().__setattr__(key, value)
        else:
            self[key] = value

    def __delattr__(self, key: str) -> None:
        if key.startswith("__") and key.endswith("__"):
            super().__delattr__(key)
        else:
            del self[key]

    def __deepcopy__(self, memo: dict) -> "dotdict":
        return dotdict(copy.deepcopy(dict(self), memo))
