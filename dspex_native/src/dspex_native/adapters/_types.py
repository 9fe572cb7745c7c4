"""What DSPy says about a field's type in a prompt: its name, its JSON-schema note, support.

DSPy renders a type three ways: ``get_annotation_name`` (``list[str]``, ``Union[int, NoneType]``,
``Literal['a', 'b']``) in the field list and the reply reminder, and ``translate_field_type``'s
``# note: the value you produce ...`` in the structure block, whose JSON schema comes from
pydantic. We rebuild both without pydantic for the builtin types (``tuple[...]`` included), and
ask pydantic itself for any type that holds a pydantic model (``Person``, ``list[Person]``,
``Person | None``): the user imported pydantic to write it, and pydantic's schema (with its
``$defs``) is the one DSPy shows. Other types are refused with
:class:`~dspex_core.CapabilityError` when the module is created, so the router can hand such
signatures to the dspy backend instead of producing a different prompt.
"""

from __future__ import annotations

import sys
import types
import typing
from typing import Any

from dspex_core.backend import LRUCache, is_tool_calls_type
from dspex_core.errors import CapabilityError

_NoneType = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)
_SCALARS = (str, int, float, bool, _NoneType)
_JSON_TYPE = {str: "string", int: "integer", float: "number", bool: "boolean", _NoneType: "null"}


def check_supported(annotation: Any, where: str) -> None:
    """Raise :class:`CapabilityError` when the native adapters cannot mirror DSPy for this type."""
    if _supported(annotation):
        return
    if where.startswith("output") and (is_tool_calls_type(annotation) or is_reasoning_type(annotation)):
        return  # an output field typed exactly ToolCalls (see _tool_calls.py) or dspy.Reasoning (_reasoning.py)
    from dspex_core.backend import type_name

    raise CapabilityError(
        f"native adapters do not support the type {type_name(annotation)} ({where}); "
        f"supported: str, int, float, bool, Any, list[...], dict[str, ...], tuple[...], Literal[...], "
        f"pydantic models, Optional/Union; "
        f"use implementation='dspy' for other types"
    )


def is_reasoning_type(annotation: Any) -> bool:
    """Whether ``annotation`` is DSPy's ``dspy.Reasoning`` (recognised by its module and name, as
    DSPy's adapters recognise it by identity): text in the prompt, the LM's own reasoning where it
    reasons natively (:mod:`._reasoning`)."""
    return (isinstance(annotation, type) and annotation.__name__ == "Reasoning"
            and getattr(annotation, "__module__", "").startswith("dspy."))


def is_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic model class (without importing pydantic: a model class
    exists only once pydantic is imported)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(annotation, type):
        return False
    try:
        return issubclass(annotation, pydantic.BaseModel)
    except TypeError:
        return False


def holds_model(annotation: Any) -> bool:
    """Whether a pydantic model appears anywhere in ``annotation`` (then pydantic validates and
    describes the whole type, as it does in DSPy). Remembered per annotation: reply parsing asks
    for every value it reads."""
    try:
        return _HOLDS[annotation]
    except KeyError:
        if len(_HOLDS) >= 4096:  # bounded: programs that make model classes on the fly
            _HOLDS.clear()
        found = _HOLDS[annotation] = _holds_model(annotation)
        return found
    except TypeError:  # an unhashable annotation (Literal of a list, ...)
        return _holds_model(annotation)


_HOLDS: dict[Any, bool] = {}


def _holds_model(annotation: Any) -> bool:
    if is_model(annotation):
        # dspy's own types (dspy.Image, dspy.ToolCalls, dspy.Audio, ...) are models with DSPy's
        # custom rendering and parsing: native takes only those it renders (see _chat.py's inputs)
        return not annotation.__module__.startswith("dspy.")
    origin = typing.get_origin(annotation)
    if origin is None or origin is typing.Literal:
        return False
    return any(_holds_model(a) for a in typing.get_args(annotation) if a is not Ellipsis)


def _supported(annotation: Any) -> bool:
    if annotation in _SCALARS or annotation is Any or annotation in (list, dict, tuple):
        return True
    if is_model(annotation):
        # dspy's own types (dspy.Image, dspy.ToolCalls, dspy.Audio, ...) are models with DSPy's
        # custom rendering and parsing: native takes only those it renders (see _chat.py's inputs)
        return not annotation.__module__.startswith("dspy.")
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return len(args) == 1 and _supported(args[0])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _supported(args[0])
        return all(_supported(a) for a in args)
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
        if is_reasoning_type(annotation):
            return "str"  # DSPy keeps ChainOfThought's old name for its reasoning type
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
    if holds_model(annotation):
        return type_first(type_adapter(annotation).json_schema())
    if is_tool_calls_type(annotation):
        from dspex_native.adapters._tool_calls import SCHEMA

        return type_first(SCHEMA)
    return _builtin_schema(annotation)


def type_adapter(annotation: Any) -> Any:
    """pydantic's ``TypeAdapter`` of ``annotation`` (cached: building one compiles a validator)."""
    # keyed on the repr too: typing calls Union[A, B] and Union[B, A] equal, pydantic does not
    key = (annotation, repr(annotation))
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS.put(key, TypeAdapter(annotation))
    return adapter


_ADAPTERS: LRUCache[Any, Any] = LRUCache(1024)


def type_first(schema: Any) -> Any:
    """DSPy's ``move_type_to_front``: every mapping's keys sorted, ``type`` first, recursively."""
    if isinstance(schema, dict):
        return {k: type_first(v) for k, v in sorted(schema.items(), key=lambda item: (item[0] != "type", item[0]))}
    if isinstance(schema, list):
        return [type_first(item) for item in schema]
    return schema


def _builtin_schema(annotation: Any) -> Any:
    json_schema = _builtin_schema
    if annotation is Any:
        return {}
    if annotation in _JSON_TYPE:
        return {"type": _JSON_TYPE[annotation]}
    if annotation is list or annotation is tuple:
        return {"type": "array", "items": {}}
    if annotation is dict:
        return {"type": "object", "additionalProperties": True}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": json_schema(args[0])}
        if not args:
            return {"type": "array", "maxItems": 0, "minItems": 0}
        return {"type": "array", "maxItems": len(args), "minItems": len(args),
                "prefixItems": [json_schema(a) for a in args]}
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
    if is_input or annotation is str or is_reasoning_type(annotation):
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
