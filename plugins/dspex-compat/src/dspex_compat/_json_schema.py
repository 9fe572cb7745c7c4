"""The JSON schema of a tool argument's type, as pydantic writes it (``TypeAdapter(t).json_schema()``).

DSPy shows the LM each tool argument's pydantic schema. For the plain types tools mostly take
(``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``, ``list[...]``, ``dict[str, ...]``,
``Literal[...]`` and unions of those) the schema is written here, key for key as pydantic writes
it, so such tools need no pydantic; any other type (a pydantic model, a tuple, a dataclass, ...)
is given to pydantic.
"""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["plain_schema", "is_plain"]

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_LITERAL_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _union_args(annotation: Any) -> tuple | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        return typing.get_args(annotation)
    return None


def plain_schema(annotation: Any) -> dict[str, Any] | None:
    """pydantic's schema of a plain type, or ``None`` for a type this does not cover."""
    if annotation is Any:
        return {}
    if annotation is None:
        annotation = type(None)
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    if annotation is list:
        return {"items": {}, "type": "array"}
    if annotation is dict:
        return {"additionalProperties": True, "type": "object"}
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and len(args) == 1:
        items = plain_schema(args[0])
        return None if items is None else {"items": items, "type": "array"}
    if origin is dict and len(args) == 2 and args[0] is str:
        values = True if args[1] is Any else plain_schema(args[1])
        return None if values is None else {"additionalProperties": values, "type": "object"}
    if origin is typing.Literal:
        return _literal(args)
    members = _union_args(annotation)
    if members is not None:
        schemas = [plain_schema(m) for m in members]
        return None if any(s is None for s in schemas) else {"anyOf": schemas}
    return None


def _literal(values: tuple) -> dict[str, Any] | None:
    kinds = set()
    for value in values:
        kind = next((name for cls, name in _LITERAL_TYPES if isinstance(value, cls)), None)
        if kind is None:
            return None
        kinds.add(kind)
    schema: dict[str, Any] = {"const": values[0]} if len(values) == 1 else {"enum": list(values)}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    return schema


def is_plain(annotation: Any) -> bool:
    """Whether the argument's value is taken as it is (already checked against its JSON type)."""
    return plain_schema(annotation) is not None
