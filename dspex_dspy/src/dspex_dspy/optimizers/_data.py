"""Training and validation sets: checked the dspex way, handed to DSPy the DSPy way.

Every item must be a ``dspex.Example`` (or a ``dspy.Example``) whose inputs were marked
with ``with_inputs(...)``, and those inputs must fit the program being optimized; otherwise
DSPy would fail later with an error far from the cause. Each converted ``dspy.Example`` is
remembered with its set name, index and the user's original object, so the metric guard can
name the failing example and give the metric the user's own object.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import dspy
from dspex_core.backend import Example
from dspex_core.errors import InputError

from dspex_dspy.translate import to_dspy_example


def _input_keys(example: Any) -> Any:
    if isinstance(example, Example):
        return example.input_keys
    return getattr(example, "_input_keys", None)


def convert_set(name: str, items: Sequence[Any], program_inputs: tuple[frozenset[str], frozenset[str]] | None,
                where: dict[int, tuple[str, int, Any]]) -> list[Any]:
    """``items`` as ``dspy.Example`` objects, after checking each one (see the module docstring)."""
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__len__"):
        raise InputError(f"{name} must be a list of dspex.Example(...).with_inputs(...), got {type(items).__name__}")
    out = []
    for index, example in enumerate(items):
        if isinstance(example, Mapping) and not isinstance(example, Example):
            raise InputError(f"{name}[{index}] is a dict; use dspex.Example(...).with_inputs(...) so its inputs "
                             f"are known")
        if not isinstance(example, (Example, dspy.Example)):
            raise InputError(f"{name}[{index}] is a {type(example).__name__}, not a dspex.Example")
        keys = _input_keys(example)
        if keys is None:
            raise InputError(f"{name}[{index}] has no inputs marked: call .with_inputs('question', ...) on it")
        if program_inputs is not None:
            _check_fits(name, index, set(keys), program_inputs)
        converted = to_dspy_example(example)
        where[id(converted)] = (name, index, example)
        out.append(converted)
    return out


def _check_fits(name: str, index: int, keys: set[str], program_inputs: tuple[frozenset[str], frozenset[str]]) -> None:
    allowed, required = program_inputs
    missing = sorted(required - keys)
    unknown = sorted(keys - allowed)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"lacks the program's input(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"marks {', '.join(map(repr, unknown))} as input(s), which the program does not take")
        raise InputError(f"{name}[{index}] {' and '.join(parts)}; the program's inputs are "
                         f"{', '.join(sorted(allowed))}")
