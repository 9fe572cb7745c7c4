"""Where two JSON documents first differ: the comparison of saved programs.

An optimizer's result is the program it compiles, and the kit compares it as users keep it: the
JSON ``save()`` writes (without its ``metadata``, which names library versions). Key order in a
JSON object means nothing, so objects are compared by their keys; everything else is compared
strictly, type included (``1``, ``1.0`` and ``true`` are three different files). The answer is
a path a reader can follow into the file (``predict.demos[0].answer``) with the two values.
"""

from __future__ import annotations

from typing import Any


def _step(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def first_json_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """``(path, a's value there, b's value there)`` at the first difference, or ``None`` when equal.

    A key only one side has is reported with ``"(absent)"`` on the other side."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return (_step(path, key), a.get(key, "(absent)"), b.get(key, "(absent)"))
            found = first_json_difference(a[key], b[key], _step(path, key))
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b)):
            found = first_json_difference(x, y, _step(path, index))
            if found is not None:
                return found
        if len(a) != len(b):
            return (f"{path or '(top)'} (length)", len(a), len(b))
        return None
    if type(a) is not type(b) or a != b:
        return (path or "(top)", a, b)
    return None
