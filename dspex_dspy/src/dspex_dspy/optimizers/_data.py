"""Training and validation sets: checked the dspex way, handed to DSPy the DSPy way.

Every item must be a ``dspex.Example`` (or a ``dspy.Example``) whose inputs were marked
with ``with_inputs(...)``, and those inputs must fit the program being optimized; otherwise
DSPy would fail later with an error far from the cause. Each converted ``dspy.Example`` is
remembered with its set name, index and the user's original object, so the metric guard can
name the failing example and give the metric the user's own object.
"""

from __future__ import annotations

from typing import Any, Sequence

import dspy
from dspex_core.backend import check_example_set

from dspex_dspy.translate import to_dspy_example


def _dspy_input_keys(example: Any) -> Any:
    if isinstance(example, dspy.Example):
        return getattr(example, "_input_keys", None)
    raise TypeError(type(example).__name__)


def convert_set(name: str, items: Sequence[Any], program_inputs: tuple[frozenset[str], frozenset[str]] | None,
                where: dict[int, tuple[str, int, Any]]) -> list[Any]:
    """``items`` as ``dspy.Example`` objects, after the core's checks (see the module docstring)."""
    allowed, required = program_inputs if program_inputs is not None else (None, None)
    out = []
    for index, example in enumerate(check_example_set(name, items, allowed, required, _dspy_input_keys)):
        converted = to_dspy_example(example)
        where[id(converted)] = (name, index, example)
        out.append(converted)
    return out
