"""DSPy 3.4's XMLAdapter (``adapter="xml"``), precompiled per signature.

DSPy builds it on the ChatAdapter: the same field list and task sentence, but every field is
written as ``<name>\\nvalue\\n</name>`` (no ``[[ ## completed ## ]]`` marker), a ``str`` output's
``&`` and ``<`` are escaped, and list/dict outputs are shown and read as nested XML
(``<answer><item>...</item></answer>``). A reply is read with ElementTree inside a
``<dspy_root>`` element, the outputs in signature order, each converted along its JSON schema
and then as DSPy's ``parse_value``. Like the ChatAdapter it inherits from, an unparseable reply
is asked again in JSON format (:func:`dspex_native.predictor.request.fallback_request`).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from dspex_core.backend import LRUCache, is_tool_calls_type

from dspex_native.adapters._chat import ChatFormat
from dspex_native.adapters._coerce import EnumMemberError, parse_value, validate
from dspex_native.adapters._types import json_schema, type_adapter, type_note, via_pydantic
from dspex_native.adapters._values import format_value, jsonable

_UNION_ORIGINS = (typing.Union, types.UnionType)
_NoneType = type(None)


def _is_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic model class (duck-typed: pydantic is not imported)."""
    return isinstance(annotation, type) and hasattr(annotation, "model_json_schema") and hasattr(annotation, "model_fields")


def uses_nested_xml(annotation: Any) -> bool:
    """DSPy's ``XMLAdapter._uses_nested_xml``: a ``list[...]``, ``dict[...]``, TypedDict or pydantic
    model output (or an ``Optional`` of one) is written as nested elements, except a list of
    dspy's own types (``dspy.Image``, ...)."""
    args = [a for a in typing.get_args(annotation) if a is not _NoneType]
    if len(args) == 1 and typing.get_origin(annotation) in _UNION_ORIGINS:
        annotation = args[0]
    origin = typing.get_origin(annotation)
    item = typing.get_args(annotation)[0] if origin is list and typing.get_args(annotation) else annotation
    if _is_model(item) and item.__module__.startswith("dspy."):
        return False
    is_typeddict = isinstance(annotation, type) and issubclass(annotation, dict) and hasattr(annotation, "__total__")
    return origin in (list, dict) or is_typeddict or _is_model(annotation)


def xml_schema(annotation: Any) -> dict:
    """The JSON schema the XMLAdapter reads a type by: pydantic's own for a type holding a model
    (properties in their declared order, ``$defs``), else the native one (same content)."""
    if via_pydantic(annotation):
        return type_adapter(annotation).json_schema(by_alias=False)
    if is_tool_calls_type(annotation):
        from dspex_native.adapters._tool_calls import SCHEMA

        return SCHEMA
    return json_schema(annotation)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def value_to_xml(value: Any, tag: str, key: str | None = None) -> str:
    """DSPy's ``XMLAdapter._value_to_xml``: a JSON value as nested elements (``<item>`` for list
    items, ``<entry key="...">`` for keys that are not XML names)."""
    attrs = ""
    if key is not None:
        from xml.sax.saxutils import quoteattr

        attrs = f" key={quoteattr(key)}"
    if isinstance(value, list):
        children = "".join(value_to_xml(item, "item") for item in value)
        return f"<{tag}{attrs}>{children}</{tag}>" if children else f"<{tag}{attrs} />"
    if isinstance(value, dict):
        parts = []
        for name, child in value.items():
            name = str(name)
            valid = (name[:1] + name[1:].replace("-", "_").replace(".", "_")).isidentifier()
            parts.append(value_to_xml(child, name) if valid else value_to_xml(child, "entry", name))
        return f"<{tag}{attrs}>{''.join(parts)}</{tag}>"
    if value is None:
        return f"<{tag}{attrs} />"
    return f"<{tag}{attrs}>{_escape(str(value))}</{tag}>"


def schema_to_xml(tag: str, schema: dict, definitions: dict | None = None, seen: frozenset = frozenset()) -> str:
    """DSPy's ``XMLAdapter._schema_to_xml``: the element skeleton of a JSON schema (a model met
    again inside itself is ``<tag>...</tag>``)."""
    definitions = schema.get("$defs", {}) if definitions is None else definitions
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return f"<{tag}>...</{tag}>" if name in seen else schema_to_xml(tag, definitions[name], definitions,
                                                                        seen | {name})
    choices = schema.get("anyOf")
    if choices:
        return schema_to_xml(tag, next((s for s in choices if s.get("type") != "null"), choices[0]), definitions, seen)
    if schema.get("type") == "array":
        return f"<{tag}>{schema_to_xml('item', schema.get('items', {}), definitions, seen)}</{tag}>"
    children = "".join(schema_to_xml(name, child, definitions, seen)
                       for name, child in schema.get("properties", {}).items())
    return f"<{tag}>{children}</{tag}>" if children else f"<{tag}>...</{tag}>"


def group_children(element: Any) -> dict[str, list]:
    """DSPy's ``XMLAdapter._group_children``: child elements by tag (an ``<entry>`` by its key)."""
    children: dict[str, list] = {}
    for child in element:
        name = child.attrib.get("key", child.tag) if child.tag == "entry" else child.tag
        children.setdefault(name, []).append(child)
    return children


def elements_to_value(elements: list, schema: dict, definitions: dict) -> Any:
    """DSPy's ``XMLAdapter._elements_to_value``: the JSON value of the elements of one field,
    read along its JSON schema (text stays text; ``parse_value`` converts it after)."""
    schema = definitions.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
    choices = schema.get("anyOf")
    if choices:
        first = elements[0]
        if {"type": "null"} in choices and not list(first) and not (first.text or "").strip():
            return None
        choices = [choice for choice in choices if choice.get("type") != "null"]
        schema = choices[0]
        if list(first):
            schema = next((choice for choice in choices if choice.get("type") != "string"), schema)
    if schema.get("type") == "array":
        if len(elements) == 1 and not list(elements[0]):
            text = (elements[0].text or "").strip()
            if not text or text.startswith("["):
                return [] if not text else text
        if len(elements) == 1:
            items = group_children(elements[0]).get("item")
            if items:
                elements = items
        return [elements_to_value([element], schema.get("items", {}), definitions) for element in elements]
    element = elements[0]
    if schema.get("type") == "string" and list(element):
        import xml.etree.ElementTree as ET

        return (element.text or "") + "".join(ET.tostring(child, encoding="unicode") for child in element)
    children = group_children(element)
    if not children:
        if schema.get("type") == "object" and not (element.text or "").strip():
            return {}
        values = [(e.text or "").strip() for e in elements]
        return values[0] if len(values) == 1 else values
    properties = schema.get("properties", {})
    child_schema = schema.get("additionalProperties", {})
    if not isinstance(child_schema, dict):
        child_schema = {}
    return {name: elements_to_value(items, properties.get(name, child_schema), definitions)
            for name, items in children.items()}


class XMLFormat(ChatFormat):
    """The XMLAdapter's prompt parts and parser for one signature."""

    adapter_name = "XMLAdapter"

    def __init__(self, signature: Any):
        self.nested = frozenset(n for n, f in signature.output_fields.items() if uses_nested_xml(f.annotation))
        super().__init__(signature)
        self.schemas = {n: xml_schema(a) for n, a in self.outputs}

    # -- the system message -------------------------------------------------------------------
    def _structure(self) -> str:
        inputs = "\n\n".join(f"<{n}>\n{type_note(n, a, True)}\n</{n}>" for n, a in self.inputs)
        outputs = "\n\n".join(self._output_structure(n, a) for n, a in self.outputs)
        return "\n\n".join(
            ("All interactions will be structured in the following way, with the appropriate values filled in.",
             inputs, outputs))

    def _output_structure(self, name: str, annotation: Any) -> str:
        if name in self.nested:
            return schema_to_xml(name, xml_schema(annotation))
        note = type_note(name, annotation, False)
        return f"<{name}>\n{_escape(note) if annotation is str else note}\n</{name}>"

    def _output_requirements(self) -> str:
        fields = ", then ".join(f"`<{n}>`" for n, _ in self.outputs)
        schemas = [schema_to_xml(n, xml_schema(a)) for n, a in self.outputs if n in self.nested]
        return (f"Respond with the corresponding output fields wrapped in XML tags {fields}."
                + (f" Use this nested XML structure: {' '.join(schemas)}" if schemas else ""))

    # -- demos and the user message -----------------------------------------------------------
    def _inputs_block(self, values: Any) -> str:
        parts = []
        for name, annotation in self.inputs:
            if name in values:
                value = values.get(name)
                parts.append(f"<{name}>\n{value if type(value) is str else format_value(value, annotation)}\n</{name}>")
        return "\n\n".join(parts).strip()

    def user_content(self, values: Any, prefix: str = "") -> str:
        """DSPy's ``XMLAdapter.format_user_message_content`` of a demo."""
        return "\n\n".join((prefix, self._inputs_block(values), "")).strip()

    def user_message(self, inputs: Any) -> str:
        """The current request: the inputs, then the reminder of the reply format."""
        return "\n\n".join(("", self._inputs_block(inputs), self.requirements, "")).strip()

    def assistant_content(self, values: Any, missing: str | None = None) -> str:
        """DSPy's ``XMLAdapter.format_assistant_message_content``: every output field (``missing``
        for one ``values`` lacks), nested XML for a list or dict in a list/dict field."""
        parts = []
        for name, annotation in self.outputs:
            value = values.get(name, missing)
            if name in self.nested:
                data = jsonable(value)
                if isinstance(data, (dict, list)):
                    parts.append(value_to_xml(data, name))
                    continue
            text = value if type(value) is str else format_value(value, annotation)
            if annotation is str:
                text = _escape(text)
            parts.append(f"<{name}>\n{text}\n</{name}>")
        return "\n\n".join(parts).strip()

    # -- parsing ------------------------------------------------------------------------------------
    def parse(self, completion: str) -> dict[str, Any]:
        """DSPy's ``XMLAdapter.parse``: the reply as XML inside ``<dspy_root>``, outputs in
        signature order; a field whose value fits no member of its type fails the parse."""
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(f"<dspy_root>{completion}</dspy_root>")
        except ET.ParseError as exc:
            raise self.error(completion, f"Failed to parse XML: {exc}") from None
        elements = group_children(root)
        fields: dict[str, Any] = {}
        for name, annotation in self.outputs:
            if name not in elements:
                continue
            schema = self.schemas[name]
            value: Any = None
            error: Exception | None = None
            for candidate in (schema, *schema.get("anyOf", ())):
                try:
                    value = elements_to_value(elements[name], candidate, schema.get("$defs", {}))
                    try:
                        fields[name] = parse_value(value, annotation)
                    except EnumMemberError:
                        raise  # a plain ValueError in DSPy: not retried
                    except ValueError:  # DSPy retries pydantic's own validation of the value
                        fields[name] = validate(annotation, value)
                    break
                except ValueError as exc:
                    error = exc
            else:
                raise self.error(completion, f"Failed to parse field {name} with value {value}: {error}")
        return self.complete(fields, completion)


_FORMATS: LRUCache[Any, XMLFormat] = LRUCache(4096)


def xml_format(signature: Any) -> XMLFormat:
    """The (cached) :class:`XMLFormat` of a signature."""
    fmt = _FORMATS.get(signature)
    if fmt is None:
        fmt = _FORMATS.put(signature, XMLFormat(signature))
    return fmt
