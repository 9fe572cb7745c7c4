"""Training and validation sets, checked before anything runs (the dspy backend's checks, in
its words): each item a ``dspex.Example`` whose inputs were marked with ``with_inputs(...)``
and fit the program's inputs."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from dspex_core.backend import Example
from dspex_core.errors import InputError


def check_set(name: str, items: Sequence[Any], program_inputs: frozenset[str] | None) -> list[Example]:
    """``items`` as a list, after checking each one."""
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__len__"):
        raise InputError(f"{name} must be a list of dspex.Example(...).with_inputs(...), got {type(items).__name__}")
    out = []
    for index, example in enumerate(items):
        if isinstance(example, Mapping) and not isinstance(example, Example):
            raise InputError(f"{name}[{index}] is a dict; use dspex.Example(...).with_inputs(...) so its inputs "
                             f"are known")
        if not isinstance(example, Example):
            raise InputError(f"{name}[{index}] is a {type(example).__name__}, not a dspex.Example")
        keys = example.input_keys
        if keys is None:
            raise InputError(f"{name}[{index}] has no inputs marked: call .with_inputs('question', ...) on it")
        if program_inputs is not None:
            _check_fits(name, index, set(keys), program_inputs)
        out.append(example)
    return out


def _check_fits(name: str, index: int, keys: set[str], program_inputs: frozenset[str]) -> None:
    missing = sorted(program_inputs - keys)
    unknown = sorted(keys - program_inputs)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"lacks the program's input(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"marks {', '.join(map(repr, unknown))} as input(s), which the program does not take")
        raise InputError(f"{name}[{index}] {' and '.join(parts)}; the program's inputs are "
                         f"{', '.join(sorted(program_inputs))}")
