"""RLM's reading of ``SUBMIT(...)``: each output field's value checked and converted to the
field's type, as DSPy's ``parse_value`` does (pydantic's lax rules; strings read as JSON or a
Python literal first). A value that does not fit is an error the LM is shown, and it tries again.
"""

from __future__ import annotations

import ast
import enum
import json
from typing import Any, Literal, Union, get_args, get_origin

__all__ = ["parse_output_value", "process_final_output"]


def parse_output_value(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` (a ``ValueError`` when it is not one)."""
    if annotation is str:
        return str(value)
    if isinstance(annotation, enum.EnumMeta):
        return _enum_member(annotation, value)
    origin = get_origin(annotation)
    if origin is Literal:
        allowed = get_args(annotation)
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
    from pydantic import TypeAdapter

    if not isinstance(value, str):
        return TypeAdapter(annotation).validate_python(value)
    import types

    if origin in (Union, types.UnionType) and type(None) in get_args(annotation) and str in get_args(annotation):
        return TypeAdapter(annotation).validate_python(value)
    try:
        candidate = json.loads(value)
    except ValueError:
        try:
            candidate = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            candidate = value
    return TypeAdapter(annotation).validate_python(candidate)


def _enum_member(enum_cls: Any, identifier: Any) -> Any:
    for member in enum_cls:
        if member.value == identifier:
            return member
    try:
        return enum_cls[identifier]
    except KeyError:
        pass
    raise ValueError(f"{identifier} is not a valid name or value for the enum {enum_cls.__name__}")


def process_final_output(raw_output: Any, output_fields: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """``(outputs, None)`` for a complete, well-typed ``SUBMIT``, else ``(None, the error the LM sees)``."""
    names = list(output_fields)
    if not isinstance(raw_output, dict):
        return None, f"[Error] FINAL returned {type(raw_output).__name__}, expected dict with fields: {names}"
    missing = set(names) - set(raw_output.keys())
    if missing:
        return None, f"[Error] Missing output fields: {sorted(missing)}. Use SUBMIT({', '.join(names)})"
    parsed: dict[str, Any] = {}
    type_errors = []
    for name in names:
        annotation = getattr(output_fields[name], "annotation", str)
        try:
            parsed[name] = parse_output_value(raw_output[name], annotation)
        except ValueError as e:  # pydantic's ValidationError is a ValueError
            shown = annotation.__name__ if hasattr(annotation, "__name__") else annotation
            type_errors.append(f"{name}: expected {shown}, got {type(raw_output[name]).__name__}: {e}")
    if type_errors:
        return None, "[Type Error] " + "; ".join(type_errors)
    return parsed, None
