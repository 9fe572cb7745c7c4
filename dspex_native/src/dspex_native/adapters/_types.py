"""What DSPy says about a field's type in a prompt: its name, its JSON-schema note, support.

DSPy renders a type three ways: ``get_annotation_name`` (``list[str]``, ``Union[int, NoneType]``,
``Literal['a', 'b']``) in the field list and the reply reminder, and ``translate_field_type``'s
``# note: the value you produce ...`` in the structure block, whose JSON schema comes from
pydantic. We rebuild both without pydantic for the types a signature string can name, and
refuse the others with :class:`~dspex_core.CapabilityError` when the module is created, so the
router can hand such signatures to the dspy backend instead of producing a different prompt.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from dspex_core.errors import CapabilityError

_NoneType = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)
_SCALARS = (str, int, float, bool, _NoneType)
_JSON_TYPE = {str: "string", int: "integer", float: "number", bool: "boolean", _NoneType: "null"}


def check_supported(annotation: Any, where: str) -> None:
    """Raise :class:`CapabilityError` when the native adapters cannot mirror DSPy for this type."""
    if _supported(annotation):
        return
    from dspex_core.backend import type_name

    raise CapabilityError(
        f"native adapters do not support the type {type_name(annotation)} ({where}); "
        f"supported: str, int, float, bool, Any, list[...], dict[str, ...], Literal[...], Optional/Union; "
        f"use implementation='dspy' for other types"
    )


def _supported(annotation: Any) -> bool:
    if annotation in _SCALARS or annotation is Any or annotation in (list, dict):
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return len(args) == 1 and _supported(args[0])
    if origin is dict:
        return len(args) == 2 and args[0] is str and _supported(args[1])
    if origin is typing.Literal:
        return all(isinstance(a, (str, int, bool)) for a in args)
    if origin in _UNION_ORIGINS:
        return all(_supported(a) for a in args)
    return False


def annotation_name(annotation: Any) -> str:
    """DSPy's ``get_annotation_name``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is types.UnionType:
        origin = typing.Union
    if origin is None:
        name = getattr(annotation, "__name__", None)
        return name if name is not None else str(annotation)
    if origin is typing.Literal:
        inner = ", ".join(_quote_literal(a) if isinstance(a, str) else annotation_name(a) for a in args)
    else:
        inner = ", ".join(annotation_name(a) for a in args)
    return f"{annotation_name(origin)}[{inner}]"


def _quote_literal(s: str) -> str:
    single, double = "'" in s, '"' in s
    if single and not double:
        return f'"{s}"'
    if double and not single:
        return f"'{s}'"
    if single and double:
        return "'" + s.replace("'", "\\'") + "'"
    return f"'{s}'"


def json_schema(annotation: Any) -> Any:
    """The JSON schema pydantic's ``TypeAdapter(annotation).json_schema()`` gives, keys ordered as DSPy
    orders them (``type`` first, then alphabetical)."""
    if annotation is Any:
        return {}
    if annotation in _JSON_TYPE:
        return {"type": _JSON_TYPE[annotation]}
    if annotation is list:
        return {"type": "array", "items": {}}
    if annotation is dict:
        return {"type": "object", "additionalProperties": True}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])}
    if origin is dict:
        value = True if args[1] is Any else json_schema(args[1])
        return {"type": "object", "additionalProperties": value}
    if origin in _UNION_ORIGINS:
        return {"anyOf": [json_schema(a) for a in args]}
    if origin is typing.Literal:
        kinds = {type(a) for a in args}
        kind = _JSON_TYPE.get(kinds.pop()) if len(kinds) == 1 else None
        values = list(args)
        body: dict[str, Any] = {"const": values[0]} if len(values) == 1 else {"enum": values}
        return {"type": kind, **body} if kind else body
    raise CapabilityError(f"no JSON schema for {annotation!r}")


def type_note(name: str, annotation: Any, is_input: bool) -> str:
    """DSPy's ``translate_field_type``: ``{name}`` plus the note on what the value must be."""
    if is_input or annotation is str:
        desc = ""
    elif annotation is bool:
        desc = "must be True or False"
    elif annotation is int or annotation is float:
        desc = f"must be a single {annotation.__name__} value"
    elif typing.get_origin(annotation) is typing.Literal:
        desc = "must exactly match (no extra characters) one of: " + "; ".join(str(a) for a in typing.get_args(annotation))
    else:
        import json

        desc = f"must adhere to the JSON schema: {json.dumps(json_schema(annotation), ensure_ascii=False)}"
    return f"{{{name}}}" + (" " * 8 + f"# note: the value you produce {desc}" if desc else "")
