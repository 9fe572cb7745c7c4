"""DSPy's adapters as the layer's predictors pass them on: ``ChatAdapter``, ``JSONAdapter``,
``XMLAdapter`` name dspex's ``adapter="chat" | "json" | "xml"``, which native renders byte for
byte as DSPy does. The field formatting DSPy's ``DummyLM`` uses to write its replies
(``format_field_with_value``) is here too.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

__all__ = ["Adapter", "ChatAdapter", "JSONAdapter", "XMLAdapter", "FieldInfoWithName", "field_header_pattern",
           "format_field_value", "serialize_for_json", "adapter_name", "header_pattern"]



def header_pattern() -> "re.Pattern[str]":
    """DSPy's ``field_header_pattern`` (``[[ ## name ## ]]``), compiled on first use: ``re`` is not
    imported by ``import dspy``."""
    import re

    return re.compile(r"\[\[ ## (\w+) ## \]\]")


def __getattr__(name: str) -> Any:
    if name == "field_header_pattern":
        return header_pattern()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class FieldInfoWithName(NamedTuple):
    name: str
    info: Any


def serialize_for_json(value: Any) -> Any:
    """A value as JSON data: pydantic models dumped, containers walked, the rest kept or as text."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump(mode="json")
    if isinstance(value, dict):
        return {k: serialize_for_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize_for_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def _numbered(values: list[Any]) -> str:
    if not values:
        return "N/A"
    if len(values) == 1:
        return str(values[0])
    return "\n".join(f"[{i + 1}] {v}" for i, v in enumerate(values))


def format_field_value(field_info: Any, value: Any, assume_text: bool = True) -> Any:
    """DSPy's text for one field value (a numbered list for a list in a ``str`` field, JSON for
    containers, ``str()`` otherwise)."""
    if isinstance(value, list) and getattr(field_info, "annotation", None) is str:
        text = _numbered(value)
    else:
        data = serialize_for_json(value)
        text = json.dumps(data, ensure_ascii=False) if isinstance(data, (dict, list)) else str(data)
    return text if assume_text else {"type": "text", "text": text}


class Adapter:
    """The base of the adapters; ``name`` is the dspex adapter it selects."""

    name = "chat"

    def __init__(self, callbacks: list | None = None, use_native_function_calling: bool = False, **kwargs: Any):
        self.callbacks = callbacks or []
        self.use_native_function_calling = use_native_function_calling
        self.options = kwargs

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any]) -> str:
        return "\n\n".join(f"[[ ## {field.name} ## ]]\n{format_field_value(field.info, value)}"
                           for field, value in fields_with_values.items()).strip()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ChatAdapter(Adapter):
    """DSPy's default: ``[[ ## field ## ]]`` sections."""

    name = "chat"


class JSONAdapter(ChatAdapter):
    """Outputs as one JSON object."""

    name = "json"

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any], role: str = "user") -> str:
        if role == "user":
            return super().format_field_with_value(fields_with_values)
        data = {field.name: value for field, value in fields_with_values.items()}
        return json.dumps(serialize_for_json(data), indent=2, ensure_ascii=False)


class XMLAdapter(ChatAdapter):
    """Fields as ``<field>...</field>`` elements."""

    name = "xml"

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any]) -> str:
        out = []
        for field, value in fields_with_values.items():
            formatted = format_field_value(field.info, value)
            extra = getattr(field.info, "json_schema_extra", None) or {}
            if extra.get("__dspy_field_type") == "output" and getattr(field.info, "annotation", None) is str:
                formatted = formatted.replace("&", "&amp;").replace("<", "&lt;")
            out.append(f"<{field.name}>\n{formatted}\n</{field.name}>")
        return "\n\n".join(out).strip()


def adapter_name(adapter: Any) -> str | None:
    """The dspex adapter for a layer adapter (``None``: dspex's default, DSPy's ChatAdapter)."""
    if adapter is None:
        return None
    name = getattr(adapter, "name", None)
    if isinstance(adapter, Adapter) and name in ("chat", "json", "xml"):
        return name
    import dspex_core

    raise dspex_core.CapabilityError(
        f"adapter {type(adapter).__name__} is not served by dspex-compat: use dspy.ChatAdapter(), "
        "dspy.JSONAdapter() or dspy.XMLAdapter() (see docs/compat.md)")
