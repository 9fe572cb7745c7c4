"""Training and validation sets, checked alike by every backend's optimizers.

An optimizer's sets must be lists of :class:`~dspex_core.Example` or ``dspy.Example`` (a backend
may read its own example type itself; otherwise a ``dspy.Example`` becomes a dspex one, values
and marked inputs kept) whose inputs were marked with ``with_inputs(...)`` and fit the program's
inputs; otherwise the optimizer would fail later, far from the cause. One function, so that a
user sees the same error whichever backend compiles.
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Mapping

from dspex_core._example import Example, example_of, foreign_store
from dspex_core.errors import InputError


def check_example_set(name: str, items: Any, allowed: Collection[str] | None = None,
                      required: Collection[str] | None = None,
                      input_keys: Callable[[Any], Any] | None = None) -> list[Any]:
    """``items`` as a list after checking each one: an Example (or what ``input_keys`` reads: a
    function giving an item's marked inputs, ``None`` when unmarked, or raising ``TypeError`` for
    something that is not an example; without it a ``dspy.Example`` is read and listed as a dspex
    Example) with inputs marked, none outside ``allowed`` and none of ``required`` missing (when
    given)."""
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__len__"):
        raise InputError(f"{name} must be a list of dspex.Example(...).with_inputs(...), got {type(items).__name__}")
    out = []
    for index, example in enumerate(items):
        if isinstance(example, Mapping) and not isinstance(example, Example):
            raise InputError(f"{name}[{index}] is a dict; use dspex.Example(...).with_inputs(...) so its inputs "
                             f"are known")
        keys = _marked(example, input_keys)
        if keys is _NOT_AN_EXAMPLE and (converted := example_of(example)) is not None:
            example, keys = converted, converted.input_keys
        if keys is _NOT_AN_EXAMPLE:
            raise InputError(f"{name}[{index}] is a {type(example).__name__}, not a dspex.Example (or dspy.Example)")
        if keys is None:
            raise InputError(f"{name}[{index}] has no inputs marked: call .with_inputs('question', ...) on it")
        if allowed is not None:
            _check_fits(name, index, set(keys), frozenset(allowed), frozenset(required or allowed))
        out.append(example)
    return out


_NOT_AN_EXAMPLE = object()


def _marked(example: Any, input_keys: Callable[[Any], Any] | None) -> Any:
    if isinstance(example, Example):
        return example.input_keys
    if input_keys is not None:
        try:
            return input_keys(example)
        except TypeError:
            pass
    return _NOT_AN_EXAMPLE


def _check_fits(name: str, index: int, keys: set[str], allowed: frozenset[str], required: frozenset[str]) -> None:
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


def demo_dicts(demos: Any, where: str) -> list[dict[str, Any]]:
    """Demos (``Example`` objects, ``dspy.Example`` objects or dicts) as plain dicts, which a prompt is built from; anything
    else is an :class:`InputError` starting with ``where``. One rule for every backend's predictors."""
    if demos is None:
        return []
    if isinstance(demos, (str, bytes, Mapping)) or not hasattr(demos, "__iter__"):
        raise InputError(f"{where}: demos must be a list of dspex.Example or dicts, got {type(demos).__name__}")
    out = []
    for index, demo in enumerate(demos):
        # A plain dict first: optimizers pass one per demo of every state they build, and
        # ``isinstance`` against ``typing.Mapping`` costs more than the copy itself.
        if type(demo) is dict:
            out.append(demo.copy())
        elif isinstance(demo, Mapping):
            out.append(dict(demo))
        elif isinstance(demo, Example):
            out.append(demo.toDict())
        elif (store := foreign_store(demo)) is not None:
            out.append(dict(store))  # a dspy.Example: its values as given (its toDict() would serialize them)
        elif hasattr(demo, "toDict"):
            out.append(demo.toDict())
        else:
            raise InputError(f"{where}: demo {index} must be a dspex.Example or a dict, got {type(demo).__name__}")
    return out
