"""Turning reply text into typed values, as DSPy's ``parse_value`` does.

DSPy reads a field's text with ``json_repair.loads`` (falling back to ``ast.literal_eval``,
then to the text itself) and validates the result with pydantic in lax mode. We follow the
same three steps with the standard library: :mod:`._lenient_json` for json_repair, then
``ast.literal_eval``, and a small validator
with pydantic's lax rules for the supported types (``"42.0"`` is an int, ``"yes"`` is a bool,
``True`` is ``1``, a string is never an int list, ...). Anything that fails raises
``ValueError``, which the adapters turn into :class:`~dspex_core.AdapterParseError`.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from dspex_core.backend import ToolCalls, is_tool_calls_type

from dspex_native.adapters._lenient_json import loads_lenient, reads_as_container
from dspex_native.adapters._types import is_enum, is_model, is_reasoning_type, type_adapter, via_pydantic

_NoneType = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_INT_FROM_FLOAT_LIMIT = 2.0 ** 63
#: The types pydantic's lax mode reads from UTF-8 bytes as from the text they hold.
_FROM_BYTES = (str, int, float, bool)


def parse_value(value: Any, annotation: Any) -> Any:
    """DSPy's ``parse_value``: ``value`` is the field's text (or a JSON value in the JSON adapter)."""
    if annotation is str:
        return str(value)
    if is_enum(annotation):
        return find_enum_member(annotation, value)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        allowed = typing.get_args(annotation)
        if value in allowed:
            return value
        if isinstance(value, str):
            v = value.strip()
            if v.startswith(("Literal[", "str[")) and v.endswith("]"):
                v = v[v.find("[") + 1:-1]
            if len(v) > 1 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            if v in allowed:
                return v
            value = v
    if not isinstance(value, str):
        return validate(annotation, value)
    if origin in _UNION_ORIGINS:
        args = typing.get_args(annotation)
        if _NoneType in args and str in args:
            return validate(annotation, value)
    candidate = loads_lenient(value)
    if candidate == "" and value != "":
        if origin in _UNION_ORIGINS and reads_as_container(value) and not _takes_container(annotation):
            # json_repair reads a list or an object out of this text ("0[" -> [], "x {a" -> {}), which
            # no member of this union (scalars and str) accepts: DSPy's parse fails, so must ours.
            raise ValueError(f"Input should be one of the union's types; {value!r} reads as a JSON list or object")
        import ast

        try:
            candidate = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            candidate = value
    if is_reasoning_type(annotation) and candidate is not value:
        try:
            return validate(annotation, candidate)
        except ValueError:  # DSPy's second try for a dspy.Type: the text itself
            return validate(annotation, value)
    return validate(annotation, candidate)


class EnumMemberError(ValueError):
    """:func:`find_enum_member` found no member: a plain ``ValueError`` in DSPy, not pydantic's
    ``ValidationError``, so DSPy's XMLAdapter does not retry the value with pydantic."""


def find_enum_member(kind: Any, identifier: Any) -> Any:
    """DSPy's ``find_enum_member``: the member whose value is ``identifier``, else the one so named
    (an auto-valued enum's LM answers with names)."""
    for member in kind:
        if member.value == identifier:
            return member
    if isinstance(identifier, str) and identifier in kind.__members__:
        return kind[identifier]
    raise EnumMemberError(f"{identifier} is not a valid name or value for the enum {kind.__name__}")


# ---------------------------------------------------------------------------------------
# pydantic's lax validation, for the supported annotations.
# ---------------------------------------------------------------------------------------

def validate(annotation: Any, value: Any) -> Any:
    """Validate and convert ``value`` as ``pydantic.TypeAdapter(annotation).validate_python`` would."""
    if annotation is Any:
        return value
    if via_pydantic(annotation) or is_reasoning_type(annotation):
        return type_adapter(annotation).validate_python(value)
    if type(value) is bytes and annotation in _FROM_BYTES:  # b'...' read by ast.literal_eval, as pydantic reads it
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"Input should be a valid string, unable to parse raw data as a unicode string: "
                             f"{value!r}") from None
    if annotation is str:
        if isinstance(value, str):
            return str(value)
        raise ValueError(f"Input should be a valid string, got {value!r}")
    if annotation is int:
        return _to_int(value)
    if annotation is float:
        return _to_float(value)
    if annotation is bool:
        return _to_bool(value)
    if annotation is _NoneType or annotation is None:
        if value is None:
            return None
        raise ValueError(f"Input should be None, got {value!r}")
    if annotation is list:
        return _to_list(value, Any)
    if annotation is dict:
        return _to_dict(value, Any, Any)
    if annotation is tuple:
        return tuple(_to_list(value, Any, "tuple"))
    if is_tool_calls_type(annotation):  # dspex's own ToolCalls, or dspy's (validated by pydantic, as in DSPy)
        return ToolCalls.of(value) if annotation is ToolCalls else type_adapter(annotation).validate_python(value)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return _to_list(value, args[0])
    if origin is tuple:
        return _to_tuple(value, args)
    if origin is dict:
        return _to_dict(value, args[0], args[1])
    if origin is typing.Literal:
        return _to_literal(value, args)
    if origin in _UNION_ORIGINS:
        for member in args:
            if has_exact_type(member, value):
                return validate(member, value)
        errors = []
        for member in args:
            try:
                return validate(member, value)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    raise ValueError(f"unsupported type {annotation!r}")


def _takes_container(annotation: Any) -> bool:
    """Whether some value of ``annotation`` is a list or a dict (``Any``, ``list[...]``, ``dict[...]``,
    a union with one of them)."""
    if annotation is Any or annotation is list or annotation is dict or annotation is tuple or is_model(annotation):
        return True
    origin = typing.get_origin(annotation)
    if origin is list or origin is dict or origin is tuple:
        return True
    if origin in _UNION_ORIGINS:
        return any(_takes_container(a) for a in typing.get_args(annotation))
    return False


def has_exact_type(annotation: Any, value: Any) -> bool:
    """pydantic's smart-mode first pass: does ``value`` already have exactly this type?"""
    if annotation is Any:
        return True
    if annotation in (str, int, float, bool):
        return type(value) is annotation
    if annotation is _NoneType or annotation is None:
        return value is None
    if annotation is list or annotation is dict or annotation is tuple:
        return type(value) is annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return type(value) is list and all(has_exact_type(args[0], v) for v in value)
    if origin is tuple:
        if type(value) is not tuple:
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(has_exact_type(args[0], v) for v in value)
        return len(value) == len(args) and all(has_exact_type(a, v) for a, v in zip(args, value))
    if origin is dict:
        return type(value) is dict and all(has_exact_type(args[0], k) and has_exact_type(args[1], v) for k, v in value.items())
    if origin is typing.Literal:
        return any(type(value) is type(a) and value == a for a in args)
    if origin in _UNION_ORIGINS:
        return any(has_exact_type(a, value) for a in args)
    return False


def _to_int(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return value
    if kind is bool:
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            if not -_INT_FROM_FLOAT_LIMIT < value < _INT_FROM_FLOAT_LIMIT:  # pydantic reads floats into an i64
                raise ValueError(f"Input should be a valid integer, got a number beyond 64 bits: {value!r}")
            return int(value)
        raise ValueError(f"Input should be a valid integer, got a number with a fractional part: {value!r}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text and "__" not in text:
            body = text[1:] if text[0] in "+-" else text
            head, dot, tail = body.partition(".")
            if head and head.replace("_", "").isdigit() and not head.startswith("_") and not head.endswith("_") \
                    and (not dot or (tail == "" or set(tail) == {"0"})):
                number = int(head.replace("_", ""))
                return -number if text[0] == "-" else number
        raise ValueError(f"Input should be a valid integer, unable to parse string as an integer: {value!r}")
    raise ValueError(f"Input should be a valid integer, got {value!r}")


def _to_float(value: Any) -> float:
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):  # includes bool, as pydantic's lax mode does
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text:
            try:
                return float(text)
            except ValueError:
                pass
        raise ValueError(f"Input should be a valid number, unable to parse string as a number: {value!r}")
    raise ValueError(f"Input should be a valid number, got {value!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value == 1:
            return True
        if value == 0:
            return False
    elif isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueError(f"Input should be a valid boolean, got {value!r}")


def _to_list(value: Any, item: Any, kind: str = "list") -> list:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [validate(item, v) for v in value]
    raise ValueError(f"Input should be a valid {kind}, got {value!r}")


def _to_tuple(value: Any, args: tuple) -> tuple:
    """pydantic's lax tuple: a list, tuple or set; ``tuple[X, ...]`` any length, else exactly one
    item per position."""
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_to_list(value, args[0], "tuple"))
    if not isinstance(value, (list, tuple, set)):
        raise ValueError(f"Input should be a valid tuple, got {value!r}")
    items = list(value)
    if len(items) != len(args):
        raise ValueError(f"Tuple should have {len(args)} item(s), got {len(items)}: {value!r}")
    return tuple(validate(a, v) for a, v in zip(args, items))


def _to_dict(value: Any, key: Any, item: Any) -> dict:
    if isinstance(value, dict):
        return {validate(key, k): validate(item, v) for k, v in value.items()}
    raise ValueError(f"Input should be a valid dictionary, got {value!r}")


def _to_literal(value: Any, allowed: tuple) -> Any:
    for option in allowed:
        if isinstance(option, str):
            if isinstance(value, str) and value == option:
                return option
        elif not isinstance(value, str) and isinstance(value, (int, float)) and value == option:
            return option
    raise ValueError(f"Input should be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")


# ---------------------------------------------------------------------------------------
# Precompiled per-type readers for the chat adapter's hot path.
# ---------------------------------------------------------------------------------------

_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_BOOL_WORDS = {"True": True, "true": True, "False": False, "false": False}


def coercer(annotation: Any) -> Any:
    """A function ``text -> value`` equal to ``parse_value(text, annotation)``, with a fast path
    for the common spellings (``42``, ``0.5``, ``True``); ``None`` for ``str`` (text as is)."""
    if annotation is str:
        return None
    if annotation is int:
        def read_int(text: str) -> Any:
            return int(text) if _JSON_INT.match(text) else parse_value(text, int)
        return read_int
    if annotation is float:
        def read_float(text: str) -> Any:
            return float(text) if _JSON_NUMBER.match(text) else parse_value(text, float)
        return read_float
    if annotation is bool:
        def read_bool(text: str) -> Any:
            value = _BOOL_WORDS.get(text)
            return value if value is not None else parse_value(text, bool)
        return read_bool

    def read(text: str) -> Any:
        return parse_value(text, annotation)
    return read
