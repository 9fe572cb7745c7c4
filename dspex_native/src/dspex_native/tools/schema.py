"""The JSON schema of a tool's arguments, as ``dspy.Tool`` writes it into ReAct's instructions.

DSPy asks pydantic for each argument's schema (``TypeAdapter(annotation).json_schema()``) and
adds the default (``pydantic_core.to_jsonable_python``) when the parameter has one. The schema
dict is shown to the LM as Python's ``repr`` of it, so the keys must come in pydantic's order
(``items``/``additionalProperties``/``enum``/``const`` before ``type``, ``None`` last in a union),
which is not the order the signature's own fields use (``type`` first, see
:mod:`dspex_native.adapters._types`). We rebuild it without pydantic for the common types
(:data:`SUPPORTED`), and ask pydantic itself for any other (a model, ``Enum``, ``datetime``,
``tuple``, ``set``, ...), with every ``$ref`` replaced by its definition as ``dspy.Tool`` does
(:func:`pydantic_arg_schema`); without pydantic installed such an argument is a
:class:`~dspex_core.errors.CapabilityError` at ``create``, so the router can give such tools to
the dspy backend instead.
"""

from __future__ import annotations

import types
import typing
from typing import Any

_NoneType = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)
_JSON_TYPE = {str: "string", int: "integer", float: "number", bool: "boolean", _NoneType: "null"}
#: What a literal value is in JSON: bool before int (``True`` is an ``int`` too).
_LITERAL_KINDS = ((bool, "boolean"), (int, "integer"), (str, "string"), (_NoneType, "null"))

SUPPORTED = "str, int, float, bool, None, Any, list[...], dict[str, ...], Literal[...] and unions of those"


def supported(annotation: Any) -> bool:
    """Whether :func:`arg_schema` (and the argument parser) can mirror pydantic for ``annotation``."""
    if annotation in _JSON_TYPE or annotation is Any or annotation is None or annotation in (list, dict):
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return len(args) == 1 and supported(args[0])
    if origin is dict:
        return len(args) == 2 and args[0] is str and supported(args[1])
    if origin is typing.Literal:
        return bool(args) and all(type(a) in (str, int, bool) for a in args)
    if origin in _UNION_ORIGINS:
        return all(supported(a) for a in args)
    return False


def arg_schema(annotation: Any) -> dict[str, Any]:
    """pydantic's ``TypeAdapter(annotation).json_schema()``, keys in pydantic's order (a new dict);
    by pydantic itself for a type outside :data:`SUPPORTED` (:func:`pydantic_arg_schema`)."""
    if not supported(annotation):
        return pydantic_arg_schema(annotation)
    if annotation is Any:
        return {}
    if annotation is None:
        annotation = _NoneType
    if annotation in _JSON_TYPE:
        return {"type": _JSON_TYPE[annotation]}
    if annotation is list:
        return {"items": {}, "type": "array"}
    if annotation is dict:
        return {"additionalProperties": True, "type": "object"}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return {"items": arg_schema(args[0]), "type": "array"}
    if origin is dict:
        return {"additionalProperties": True if args[1] is Any else arg_schema(args[1]), "type": "object"}
    if origin in _UNION_ORIGINS:
        schemas: list[dict[str, Any]] = []
        for member in args:
            if member is not _NoneType:
                schema = arg_schema(member)
                if schema not in schemas:  # pydantic writes a repeated member schema once
                    schemas.append(schema)
        if len(schemas) == 1 and _NoneType not in args:
            return schemas[0]
        if _NoneType in args:
            schemas.append({"type": "null"})  # pydantic makes the union nullable: null goes last
        return {"anyOf": schemas}
    if origin is typing.Literal:
        values = list(args)
        kinds = {_literal_kind(v) for v in values}
        body: dict[str, Any] = {"const": values[0]} if len(values) == 1 else {"enum": values}
        if len(kinds) == 1:
            body["type"] = kinds.pop()
        return body
    raise AssertionError(f"supported() accepted {annotation!r}")  # pragma: no cover - the two rules agree


def pydantic_arg_schema(annotation: Any) -> dict[str, Any]:
    """``dspy.Tool``'s schema of an argument of a type pydantic reads: a model's
    ``model_json_schema()`` (else ``TypeAdapter(annotation).json_schema()``) with every ``$ref``
    replaced by its definition and ``$defs`` dropped (``_resolve_json_schema_reference``). Raises
    :class:`~dspex_core.errors.CapabilityError` without pydantic, and pydantic's own error for a
    type it cannot read (as ``dspy.Tool`` does)."""
    try:
        import pydantic
    except ImportError:
        raise pydantic_missing(annotation) from None
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, pydantic.BaseModel):
        schema = annotation.model_json_schema()
    else:
        schema = pydantic.TypeAdapter(annotation).json_schema()
    definitions = schema.get("$defs")
    if not definitions:
        return schema

    def resolved(part: Any) -> Any:
        if isinstance(part, dict):
            if "$ref" in part:
                return resolved(definitions[part["$ref"].split("/")[-1]])
            return {k: resolved(v) for k, v in part.items()}
        if isinstance(part, list):
            return [resolved(item) for item in part]
        return part

    out = resolved(schema)
    out.pop("$defs", None)
    return out


def pydantic_missing(annotation: Any) -> Exception:
    """The :class:`~dspex_core.errors.CapabilityError` for an argument type outside :data:`SUPPORTED`
    where pydantic is not installed."""
    from dspex_core.backend import type_name
    from dspex_core.errors import CapabilityError

    return CapabilityError(f"the native backend reads the tool argument type {type_name(annotation)} with pydantic "
                           f"(as dspy.Tool does), which is not installed (pip install pydantic); it supports "
                           f"{SUPPORTED} without it; use implementation='dspy'")


def _literal_kind(value: Any) -> str:
    for kind, name in _LITERAL_KINDS:
        if isinstance(value, kind):
            return name
    return "?"  # a type no other value shares: no "type" key, as pydantic leaves it out


def json_default(value: Any) -> Any:
    """A parameter's default as dspy writes it (``pydantic_core.to_jsonable_python``): tuples and
    sets become lists, bytes text, enums their value, ``Decimal`` a float; a value pydantic cannot
    convert is kept as it is (and shows as its ``repr``)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    try:
        return _jsonable(value)
    except _NotJsonable:
        return value


class _NotJsonable(Exception):
    pass


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    import enum

    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    raise _NotJsonable(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "None"
    if isinstance(key, (int, float)):
        return str(key)
    raise _NotJsonable(key)
