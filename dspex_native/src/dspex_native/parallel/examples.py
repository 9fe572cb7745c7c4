"""The inputs of each call a ``parallel`` run makes, worked out before any of them starts.

DSPy's ``Parallel`` calls ``module(**example)`` for a dict and ``module(**example.inputs())``
for an ``Example``, or, with ``access_examples=False``, hands the ``Example`` over whole.
A dspex module takes named inputs only, so "whole" means every field of the example (its
labels too). An ``Example`` without inputs marked, a tuple or anything else is refused here,
naming the example, instead of failing on its own call as in dspy: the mistake is the
caller's, and no LM call should be spent before it is reported. (DSPy's tuples, positional
arguments, have no meaning for a module that takes named inputs; a nested ``parallel`` takes
``{"examples": [...]}`` like any other dict.)
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Example
from dspex_core.errors import InputError


def examples_of(inputs: Any) -> tuple[Any, Any]:
    """``(examples, num_threads or None)`` of a call's inputs: ``dspy.Parallel.forward``'s
    arguments, so that ``ref(examples=[...], num_threads=4)`` works as in DSPy."""
    if not isinstance(inputs, Mapping) or "examples" not in inputs or not set(inputs) <= {"examples", "num_threads"}:
        got = sorted(inputs) if isinstance(inputs, Mapping) else type(inputs).__name__
        raise InputError(f"parallel's inputs are {{'examples': [...]}} (dicts of inputs or dspex.Example objects) "
                         f"and optionally 'num_threads', got {got}")
    examples = inputs["examples"]
    if not isinstance(examples, (list, tuple)):
        raise InputError(f"parallel's examples must be a list of dicts or dspex.Example objects, "
                         f"got {type(examples).__name__}")
    return examples, inputs.get("num_threads")


def _named(index: int, fields: dict[str, Any]) -> dict[str, Any]:
    for key in fields:
        if not isinstance(key, str):
            raise InputError(f"examples[{index}] has a field named {key!r}; input names are strings")
    return fields


def call_inputs(examples: Any, access_examples: bool) -> list[dict[str, Any]]:
    """One dict of inputs per example, in order."""
    out = []
    for index, example in enumerate(examples):
        if isinstance(example, Example):
            if not access_examples:
                out.append(_named(index, example.toDict()))
            elif example.input_keys is None:
                raise InputError(f"examples[{index}] is an Example without inputs marked: call "
                                 f".with_inputs('field', ...) on it (or create the parallel module with "
                                 f"access_examples=False to pass all its fields)")
            else:
                out.append(_named(index, example.inputs().toDict()))
        elif isinstance(example, Mapping):
            out.append(_named(index, dict(example)))
        else:
            raise InputError(f"examples[{index}] is a {type(example).__name__}; parallel takes dicts of inputs "
                             f"or dspex.Example objects")
    return out
