"""DSPy's adapter helpers (``dspy.adapters.utils``): how a field value is written into a prompt
and read back from a reply, and how a field's type is described.

The writers (:func:`format_field_value`, :func:`serialize_for_json`) run without pydantic for
plain values, as DummyLM's replies need them at every call; reading a typed value
(:func:`parse_value`) and describing one with a JSON schema (:func:`translate_field_type`)
import pydantic when they run, as DSPy's validation is pydantic's.
"""

from __future__ import annotations

import enum
import json
import sys
import types
import typing
from typing import Any, Literal, Union

__all__ = ["serialize_for_json", "format_field_value", "parse_value", "translate_field_type", "get_annotation_name",
           "get_field_description_string", "find_enum_member", "annotation_allows_none",
           "apply_output_field_defaults"]

_PLAIN = (str, int, float, bool, type(None))


def _is_subclass(annotation: Any, base: type) -> bool:
    try:
        return isinstance(annotation, type) and issubclass(annotation, base)
    except TypeError:
        return False


def _plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return not isinstance(value, float) or value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


#: dspex's classes that stand for DSPy's pydantic models (dumped as their ``toDict()``)
_CORE_MODELS = frozenset({"ToolCalls", "ToolCallResults", "History"})


def _core_models_as_dicts(value: Any) -> Any:
    """``value`` with dspex's stand-ins for DSPy's models (anywhere in dicts and lists) as their dicts."""
    if type(value).__name__ in _CORE_MODELS and type(value).__module__.startswith("dspex_core."):
        return _core_models_as_dicts(value.toDict())
    if isinstance(value, dict):
        return {k: _core_models_as_dicts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_core_models_as_dicts(v) for v in value)
    return value


def serialize_for_json(value: Any) -> Any:
    """``value`` as JSON data, as pydantic dumps it in JSON mode (what it cannot dump as ``str``)."""
    if _plain(value):
        return json.loads(json.dumps(value)) if isinstance(value, (list, tuple, dict)) else value
    value = _core_models_as_dicts(value)  # dspex's ToolCalls, ToolCallResults, History: DSPy's models
    try:
        from pydantic import TypeAdapter

        return TypeAdapter(type(value)).dump_python(value, mode="json", fallback=str)
    except Exception:  # noqa: BLE001 - DSPy falls back to the text of any value pydantic refuses
        return str(value)


def _blob(blob: str) -> str:
    if "\n" not in blob and "«" not in blob and "»" not in blob:
        return f"«{blob}»"
    return "«««\n    " + blob.replace("\n", "\n    ") + "\n»»»"


def _numbered(values: list[Any]) -> str:
    if not values:
        return "N/A"
    if len(values) == 1:
        return _blob(values[0])
    return "\n".join(f"[{i + 1}] {_blob(v)}" for i, v in enumerate(values))


def format_field_value(field_info: Any, value: Any, assume_text: bool = True) -> Any:
    """DSPy's text for one field value: a numbered list of blobs for a list in a ``str`` field,
    JSON for containers, ``str()`` of the JSON form otherwise."""
    if isinstance(value, list) and getattr(field_info, "annotation", None) is str:
        text = _numbered(value)
    else:
        data = serialize_for_json(value)
        text = json.dumps(data, ensure_ascii=False) if isinstance(data, (dict, list)) else str(data)
    return text if assume_text else {"type": "text", "text": text}


def annotation_allows_none(annotation: Any) -> bool:
    """Whether ``annotation`` admits ``None`` (``str | None``, ``Optional[str]``, ``None``)."""
    if annotation is None or annotation is type(None):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return bool(args) and annotation_allows_none(args[0])
    if origin in (Union, types.UnionType):
        return any(annotation_allows_none(a) for a in args)
    return False


def apply_output_field_defaults(signature: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The parsed outputs with each missing optional output filled in (its default, else ``None``)."""
    completed = {}
    for name, info in signature.output_fields.items():
        if name in fields:
            completed[name] = fields[name]
        elif not info.is_required():
            completed[name] = info.get_default(call_default_factory=True)
        elif annotation_allows_none(info.annotation):
            completed[name] = None
    return completed


def find_enum_member(enum_class: Any, identifier: Any) -> Any:
    """The member of ``enum_class`` with value ``identifier``, else with that name."""
    for member in enum_class:
        if member.value == identifier:
            return member
    if identifier in enum_class.__members__:
        return enum_class[identifier]
    raise ValueError(f"{identifier} is not a valid name or value for the enum {enum_class.__name__}")


def _loads(text: str) -> Any:
    """A reply's value: JSON (repaired when json_repair is installed), then a Python literal, else the text."""
    try:
        import json_repair
    except ImportError:
        json_repair = None
    if json_repair is not None:
        candidate = json_repair.loads(text)  # "" when it cannot read the text
        if candidate != "" or text == "":
            return candidate
    else:
        try:
            return json.loads(text)
        except ValueError:
            pass
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_value(value: Any, annotation: Any) -> Any:
    """A reply's value read as ``annotation`` (DSPy's ``parse_value``; pydantic validates)."""
    if annotation is str:
        return str(value)
    if isinstance(annotation, enum.EnumMeta):
        return find_enum_member(annotation, value)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        allowed = typing.get_args(annotation)
        if value in allowed:
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.startswith(("Literal[", "str[")) and text.endswith("]"):
                text = text[text.find("[") + 1:-1]
            if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
                text = text[1:-1]
            if text in allowed:
                return text
            value = text  # "2" for Literal[1, 2, 3]: pydantic below
    from pydantic import TypeAdapter, ValidationError

    if not isinstance(value, str):
        return TypeAdapter(annotation).validate_python(value)
    args = typing.get_args(annotation)
    if origin in (Union, types.UnionType) and type(None) in args and str in args:
        return TypeAdapter(annotation).validate_python(value)
    candidate = _loads(value)
    try:
        return TypeAdapter(annotation).validate_python(candidate)
    except ValidationError:
        base = sys.modules.get("dspex_compat._types_base")
        if base is not None and _is_subclass(annotation, base.Type):
            return TypeAdapter(annotation).validate_python(value)  # a type with its own reading of the text
        raise


def _quoted(text: str) -> str:
    if "'" in text and '"' not in text:
        return f'"{text}"'
    if "'" in text:
        return "'" + text.replace("'", "\\'") + "'"
    return f"'{text}'"


def get_annotation_name(annotation: Any) -> str:
    """DSPy's name of a type in prompts (``list[str]``, ``Optional[int]``, ``Literal['a', 'b']``)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is types.UnionType:
        origin = Union
    if origin is None:
        if getattr(annotation, "__name__", None) == "Reasoning" and \
                getattr(annotation, "__module__", "").startswith("dspy."):
            return "str"  # ChainOfThought's reasoning reads as a string, as it always did
        return annotation.__name__ if hasattr(annotation, "__name__") else str(annotation)
    if origin is Literal:
        inner = ", ".join(_quoted(a) if isinstance(a, str) else get_annotation_name(a) for a in args)
    else:
        inner = ", ".join(get_annotation_name(a) for a in args)
    return f"{get_annotation_name(origin)}[{inner}]"


def _json_schema(annotation: Any) -> Any:
    from pydantic import TypeAdapter

    def type_first(data: Any) -> Any:
        if isinstance(data, dict):
            return {k: type_first(v) for k, v in sorted(data.items(), key=lambda item: (item[0] != "type", item[0]))}
        if isinstance(data, list):
            return [type_first(v) for v in data]
        return data

    return type_first(TypeAdapter(annotation).json_schema())


def _custom_types(annotation: Any) -> list[type]:
    base = sys.modules.get("dspex_compat._types_base")
    return base.Type.extract_custom_type_from_annotation(annotation) if base is not None else []


def translate_field_type(field_name: str, field_info: Any) -> str:
    """``{name}`` with DSPy's note on the value an output of this type must have."""
    annotation = field_info.annotation
    extra = field_info.json_schema_extra or {}
    named = getattr(annotation, "__module__", "").startswith("dspy.") and getattr(annotation, "__name__", "")
    if extra.get("__dspy_field_type") == "input" or annotation is str or named == "Reasoning":
        desc = ""
    elif annotation is bool:
        desc = "must be True or False"
    elif annotation in (int, float):
        desc = f"must be a single {annotation.__name__} value"
    elif _is_subclass(annotation, enum.Enum):
        desc = f"must be one of: {'; '.join(str(m.value) for m in annotation)}"
    elif typing.get_origin(annotation) is Literal:
        desc = ("must exactly match (no extra characters) one of: "
                f"{'; '.join(str(a) for a in typing.get_args(annotation))}")
    elif named and named.startswith("Code") and annotation.description():
        desc = ""
    else:
        desc = f"must adhere to the JSON schema: {json.dumps(_json_schema(annotation), ensure_ascii=False)}"
    return f"{{{field_name}}}" + ((" " * 8) + f"# note: the value you produce {desc}" if desc else "")


def get_field_description_string(fields: dict[str, Any]) -> str:
    """DSPy's numbered list of fields: name, type, description, type notes and constraints."""
    lines = []
    for index, (name, info) in enumerate(fields.items()):
        extra = info.json_schema_extra
        desc = extra["desc"] if extra["desc"] != f"${{{name}}}" else ""
        for custom in _custom_types(info.annotation):
            if custom.description():
                desc += f"\n    Type description of {get_annotation_name(custom)}: {custom.description()}"
        line = f"{index + 1}. `{name}` ({get_annotation_name(info.annotation)}): {desc}"
        if extra.get("constraints"):
            line += f"\nConstraints: {extra['constraints']}"
        lines.append(line)
    return "\n".join(lines).strip()
