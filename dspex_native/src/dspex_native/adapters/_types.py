"""What DSPy says about a field's type in a prompt: its name, its JSON-schema note, support.

DSPy renders a type three ways: ``get_annotation_name`` (``list[str]``, ``Union[int, NoneType]``,
``Literal['a', 'b']``) in the field list and the reply reminder, and ``translate_field_type``'s
``# note: the value you produce ...`` in the structure block, whose JSON schema comes from
pydantic. We rebuild both without pydantic for the builtin types (``tuple[...]`` included), and
ask pydantic itself for any other type: one that holds a pydantic model (``Person``,
``list[Person]``, ``Person | None``), whose schema (with its ``$defs``) is the one DSPy shows, or
one of the types DSPy reads only through pydantic (``Enum``, ``datetime``, ``date``, ``Decimal``,
``UUID``, ``Path``, ``set[...]``, ``dict[int, ...]``, ...). pydantic is imported only when such a
field is used, and must then be installed (as DSPy needs it). What cannot be mirrored (a type
pydantic cannot read, an output type it has no JSON schema for, dspy's own types where native
does not render them) is refused with
:class:`~dspex_core.CapabilityError` when the module is created, so the router can hand such
signatures to the dspy backend instead of producing a different prompt.
"""

from __future__ import annotations

import enum
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
    is_output = where.startswith("output")
    if is_tool_calls_type(annotation) or (is_output and is_reasoning_type(annotation)):
        return  # a field typed exactly ToolCalls (see _tool_calls.py), an output typed dspy.Reasoning (_reasoning.py)
    from dspex_core.backend import type_name

    if _holds_tool_calls(annotation):
        raise CapabilityError(f"native adapters do not render {type_name(annotation)} yet ({where}): a ToolCalls "
                              f"inside another type (a list, Optional, ...); a field typed ToolCalls itself is "
                              f"rendered; use implementation='dspy' for it")

    reason = _why_not_pydantic(annotation, is_output)
    if reason is None:
        return
    raise CapabilityError(
        f"native adapters do not support the type {type_name(annotation)} ({where}){reason}; "
        f"supported: str, int, float, bool, Any, list[...], dict[...], tuple[...], set[...], "
        f"Literal[...], Enum, datetime and the other types pydantic reads, pydantic models, Optional/Union; "
        f"use implementation='dspy' for other types"
    )


def _why_not_pydantic(annotation: Any, is_output: bool) -> str | None:
    """``None`` when pydantic reads ``annotation`` for native as it does for DSPy (pydantic
    installed and able to validate the type, as DSPy's signature needs; for an output also its JSON
    schema, which the prompt shows), else the reason, worded for the error."""
    if not via_pydantic(annotation) or _holds_special(annotation):
        return ""
    try:
        adapter = type_adapter(annotation)
        if is_output:
            adapter.json_schema()
    except ImportError:
        return ": pydantic is not installed (pip install pydantic), and DSPy reads this type with it"
    except Exception as exc:  # DSPy fails on it too: its signature (or its prompt) cannot be built
        return f": pydantic cannot read it ({type(exc).__name__})"
    return None


def _holds_tool_calls(annotation: Any) -> bool:
    if is_tool_calls_type(annotation):
        return True
    return any(_holds_tool_calls(arg) for arg in typing.get_args(annotation) if not isinstance(arg, (str, int)))


def _holds_special(annotation: Any) -> bool:
    """Whether dspy's own types (``dspy.Image``, ...), ToolCalls or dspy.Reasoning appear inside
    ``annotation``: those have DSPy's own rendering and parsing, which native mirrors only where
    it takes them (see _chat.py's inputs)."""
    if is_tool_calls_type(annotation) or is_reasoning_type(annotation):
        return True
    if is_model(annotation):
        return annotation.__module__.startswith("dspy.")
    if typing.get_origin(annotation) is typing.Literal:
        return False
    return any(_holds_special(a) for a in typing.get_args(annotation) if a is not Ellipsis)


def is_enum(annotation: Any) -> bool:
    """Whether ``annotation`` is an Enum class (DSPy's ``_annotation_is_subclass(t, enum.Enum)``)."""
    return isinstance(annotation, enum.EnumMeta)


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


def via_pydantic(annotation: Any) -> bool:
    """Whether native reads ``annotation`` through pydantic, as DSPy does every type: a pydantic
    model, or a type the builtin rules here do not cover (``Enum``, ``datetime``, ``set[...]``,
    ``dict[int, ...]``, ...), anywhere in it; then pydantic validates and describes the whole type.
    Remembered per annotation: reply parsing asks for every value it reads."""
    try:
        return _VIA[annotation]
    except KeyError:
        if len(_VIA) >= 4096:  # bounded: programs that make model classes on the fly
            _VIA.clear()
        found = _VIA[annotation] = _via_pydantic(annotation)
        return found
    except TypeError:  # an unhashable annotation (Literal of a list, ...)
        return _via_pydantic(annotation)


_VIA: dict[Any, bool] = {}
_BUILTIN_LEAVES = (*_SCALARS, list, dict, tuple)


def _via_pydantic(annotation: Any) -> bool:
    if annotation is Any or annotation in _BUILTIN_LEAVES:
        return False
    if is_model(annotation):
        # dspy's own types (dspy.Image, dspy.ToolCalls, dspy.Audio, ...) are models with DSPy's
        # custom rendering and parsing: native takes only those it renders (see _chat.py's inputs)
        return not annotation.__module__.startswith("dspy.")
    if is_tool_calls_type(annotation) or is_reasoning_type(annotation):
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:  # options other than plain strings, ints and bools: pydantic's
        return not is_plain_literal(annotation)
    args = typing.get_args(annotation)
    if origin is list or origin is tuple or origin in _UNION_ORIGINS:
        return any(_via_pydantic(a) for a in args if a is not Ellipsis)
    if origin is dict:
        return (len(args) == 2 and args[0] is not str) or any(_via_pydantic(a) for a in args)
    return True  # Enum, datetime, Decimal, UUID, Path, set[...], frozenset[...], ...: pydantic's


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
        return is_plain_literal(annotation)
    if origin in _UNION_ORIGINS:
        return all(_supported(a) for a in args)
    return False


_PLAIN_OPTIONS = (str, int, bool)


def is_plain_literal(annotation: Any) -> bool:
    """Whether ``annotation`` is a ``Literal`` of plain strings, ints and bools, which the builtin
    rules read as pydantic does. Other options (floats, ``None``, Enum members, bytes, ...) are read
    through pydantic, as DSPy reads every Literal."""
    return all(type(a) in _PLAIN_OPTIONS for a in typing.get_args(annotation))


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
    if via_pydantic(annotation):
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
    elif is_enum(annotation):
        desc = "must be one of: " + "; ".join(str(member.value) for member in annotation)
    elif typing.get_origin(annotation) is typing.Literal:
        desc = "must exactly match (no extra characters) one of: " + "; ".join(str(a) for a in typing.get_args(annotation))
    else:
        import json

        desc = f"must adhere to the JSON schema: {json.dumps(json_schema(annotation), ensure_ascii=False)}"
    return f"{{{name}}}" + (" " * 8 + f"# note: the value you produce {desc}" if desc else "")
