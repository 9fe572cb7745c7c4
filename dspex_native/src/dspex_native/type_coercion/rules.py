"""The rules for converting a value to a signature field's declared type.

Pipeline steps get their values from other steps, from Python callers, and from the command
line (where everything is text). The rules are DSPy's, so that a value a step accepts is the
value ``predict`` would have parsed from an LM reply; the scalar, ``Literal``, ``Union`` and
JSON-text rules are the adapters' (:mod:`dspex_native.adapters._coerce`: DSPy's ``parse_value``
and pydantic's lax mode), reused, not copied:

* a value that already has the declared type passes unchanged (the same object);
* text is read as DSPy reads a reply: ``"3"`` is ``3`` for ``int``, ``"true"``/``"yes"`` are
  ``True`` for ``bool``; JSON (or a Python literal) is a list or dict for ``list[...]`` /
  ``dict[...]``, read strictly (no repair of truncated text: inputs are not LM replies);
  ``str`` fields take text only (``3`` is not a ``str``);
* ``Literal[...]`` must match one option (``"2"`` matches ``2``), ``Optional[...]`` (and ``Any``)
  accepts ``None``, a ``Union`` takes the first member that fits exactly, else the first that
  converts;
* ``tuple``/``set``/``frozenset``, ``Enum`` classes (by member, value or name) and other classes
  (``isinstance``, or a ``model_validate`` classmethod as pydantic models have) are handled here.

A value that cannot be converted raises :class:`Mismatch`, whose message names the path
(``items[2]``), the expected type and the value (truncated).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from dspex_core.backend import allows_none, type_name

_NoneType = type(None)
_UNION = (typing.Union, types.UnionType)
_LEAVES = (str, int, float, bool, _NoneType, None)
_SEQUENCES = (list, tuple, set, frozenset)
_SEQUENCE_INPUTS = (list, tuple, set, frozenset)


class Mismatch(ValueError):
    """A value does not fit a type; ``path`` says where inside the field."""

    def __init__(self, path: str, annotation: Any, value: Any, reason: str = ""):
        self.path = path
        self.annotation = annotation
        self.value = value
        self.reason = reason
        message = f"{path}: expected {type_name(annotation)}, got {show(value)} ({type(value).__name__})"
        super().__init__(f"{message}: {reason}" if reason else message)


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def accepts_none(annotation: Any) -> bool:
    """Whether a step takes ``None`` (or a missing value) for this type: where DSPy would
    (``Optional[...]``, ``None``), and for ``Any``, which takes every value."""
    return annotation is Any or allows_none(annotation)


def unsupported(annotation: Any) -> str | None:
    """The part of ``annotation`` these rules cannot check, or ``None`` when all is fine."""
    if annotation is Any or annotation in _LEAVES or annotation in _SEQUENCES or annotation is dict:
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return None
    if origin in _UNION or origin in _SEQUENCES or origin is dict:
        for arg in args:
            if arg is Ellipsis:
                continue
            problem = unsupported(arg)
            if problem:
                return problem
        return None
    if origin is None and isinstance(annotation, type):
        return None
    return type_name(annotation)


def coerce(annotation: Any, value: Any, path: str = "value") -> Any:
    """``value`` as the type ``annotation`` declares, or :class:`Mismatch`."""
    if annotation is Any:
        return value
    if annotation in _LEAVES:
        return _leaf(annotation, value, path)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return _leaf(annotation, value, path)
    if origin in _UNION:
        return _union(annotation, value, path)
    if annotation in _SEQUENCES or origin in _SEQUENCES:
        return _sequence(annotation, origin or annotation, typing.get_args(annotation), value, path)
    if annotation is dict or origin is dict:
        return _mapping(annotation, typing.get_args(annotation), value, path)
    if isinstance(annotation, type):
        return _instance(annotation, value, path)
    raise Mismatch(path, annotation, value, "this type cannot be checked natively")


# -- the pieces -----------------------------------------------------------------------------
def _leaf(annotation: Any, value: Any, path: str) -> Any:
    from dspex_native.adapters import _coerce

    if _coerce.has_exact_type(annotation, value):
        return value
    try:
        if isinstance(value, str):
            return _coerce.parse_value(value, annotation)
        return _coerce.validate(annotation, value)
    except ValueError:
        raise Mismatch(path, annotation, value) from None


def _union(annotation: Any, value: Any, path: str) -> Any:
    members = typing.get_args(annotation)
    if value is None and accepts_none(annotation):
        return None
    for member in members:
        if _fits(member, value):
            return value
    for member in members:
        if member is _NoneType:
            continue
        try:
            return coerce(member, value, path)
        except Mismatch:
            continue
    raise Mismatch(path, annotation, value)


def _fits(annotation: Any, value: Any) -> bool:
    """Whether ``value`` already is of type ``annotation`` (it comes back unconverted)."""
    try:
        return coerce(annotation, value, "") is value
    except Mismatch:
        return False


def _from_text(annotation: Any, value: Any, path: str, kinds: tuple[type, ...]) -> Any:
    """Container text is JSON or a Python literal, read strictly (a truncated list is an error)."""
    if not isinstance(value, str):
        return value
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        import ast

        text = value.strip()
        try:
            parsed = ast.literal_eval(text) if text[:1] in ("[", "(", "{") else None
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, (tuple, set, frozenset)):
            parsed = list(parsed)
    if not isinstance(parsed, kinds):
        raise Mismatch(path, annotation, value, "text must be JSON (or a Python literal) of that shape")
    return parsed


def _sequence(annotation: Any, kind: type, args: tuple, value: Any, path: str) -> Any:
    value = _from_text(annotation, value, path, (list,))
    if not isinstance(value, _SEQUENCE_INPUTS):
        raise Mismatch(path, annotation, value)
    items = list(value)
    if kind is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        if len(items) != len(args):
            raise Mismatch(path, annotation, value, f"needs exactly {len(args)} items, got {len(items)}")
        item_types = list(args)
    else:
        item_types = [args[0] if args else Any] * len(items)
    out = [coerce(t, v, f"{path}[{i}]") for i, (t, v) in enumerate(zip(item_types, items))]
    if type(value) is kind and all(a is b for a, b in zip(out, items)):
        return value
    return kind(out)


def _mapping(annotation: Any, args: tuple, value: Any, path: str) -> Any:
    value = _from_text(annotation, value, path, (dict,))
    if not isinstance(value, dict):
        raise Mismatch(path, annotation, value)
    key_type, item_type = args if args else (Any, Any)
    out = {}
    same = type(value) is dict
    for key, item in value.items():
        new_key = coerce(key_type, key, f"{path} key {show(key, 30)}")
        new_item = coerce(item_type, item, f"{path}[{show(key, 30)}]")
        same = same and new_key is key and new_item is item
        out[new_key] = new_item
    return value if same else out


def _instance(annotation: type, value: Any, path: str) -> Any:
    if isinstance(value, annotation):
        return value
    import enum

    if issubclass(annotation, enum.Enum):
        for member in annotation:
            if member.value == value and type(member.value) is type(value):
                return member
        if isinstance(value, str):
            text = value.strip()
            for member in annotation:
                if member.name == text or (isinstance(member.value, str) and member.value == text):
                    return member
        raise Mismatch(path, annotation, value, f"options: {', '.join(m.name for m in annotation)}")
    validate = getattr(annotation, "model_validate", None)
    if callable(validate):
        try:
            if isinstance(value, str):
                loader = getattr(annotation, "model_validate_json", None)
                return loader(value) if callable(loader) else validate(_from_text(annotation, value, path, (dict,)))
            return validate(value)
        except Mismatch:
            raise
        except Exception as exc:  # noqa: BLE001 - the model's own validation error
            raise Mismatch(path, annotation, value, str(exc).splitlines()[0] if str(exc) else "") from None
    raise Mismatch(path, annotation, value)
