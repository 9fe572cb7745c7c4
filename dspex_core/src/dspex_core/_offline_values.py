"""Typed placeholder values for :class:`~dspex_core.OfflineLM`.

The offline model only sees the prompt text, so types arrive as DSPy prints them
(``list[str]``, ``Literal['yes', 'no']``, ``Union[int, NoneType]``, ``dict[str, int]``, a
model's name plus its JSON schema). This module parses those type strings into a small tree
and makes a deterministic value of that type, seeded by the words of the request.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<name>[A-Za-z_][\w.]*)|(?P<punct>[\[\],]))""")


@dataclass
class TypeNode:
    """``name[args]``; literal options (strings, numbers, True/False/None) are in ``values``."""

    name: str
    args: list["TypeNode"] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


#: Type names :meth:`ValueMaker.value` knows without a schema.
BUILTIN_TYPES = frozenset({"str", "int", "float", "bool", "list", "List", "set", "Set", "frozenset", "Sequence",
                           "dict", "Dict", "Mapping", "tuple", "Tuple", "Literal", "Union", "Optional", "NoneType",
                           "None", "Any", "object", "Reasoning", "ToolCalls", "Ellipsis"})


def is_builtin(node: TypeNode) -> bool:
    """Whether ``node`` and all its arguments are types known without a schema."""
    return node.name in BUILTIN_TYPES and all(is_builtin(arg) for arg in node.args)


def parse_type(text: str) -> TypeNode:
    """Parse a DSPy annotation name; anything unparseable is treated as ``str``."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            return TypeNode("str")
        position = match.end()
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
    try:
        node, rest = _parse(tokens, 0, literal=False)
    except (IndexError, ValueError, SyntaxError):
        return TypeNode("str")
    return node if rest == len(tokens) else TypeNode("str")


def _parse(tokens: list[tuple[str, str]], i: int, *, literal: bool) -> tuple[Any, int]:
    kind, value = tokens[i]
    if literal and kind in ("str", "num"):
        return ast.literal_eval(value), i + 1
    if literal and value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value], i + 1
    if kind != "name":
        raise ValueError(f"unexpected {value!r}")
    node = TypeNode(value.rsplit(".", 1)[-1])
    i += 1
    if i < len(tokens) and tokens[i][1] == "[":
        i += 1
        is_literal = node.name == "Literal"
        while tokens[i][1] != "]":
            item, i = _parse(tokens, i, literal=is_literal)
            (node.args if isinstance(item, TypeNode) else node.values).append(item)
            if tokens[i][1] == ",":
                i += 1
        i += 1
    return node, i


class ValueMaker:
    """Makes deterministic values from the request's keywords and a per-field seed."""

    def __init__(self, keywords: list[str], seed_text: str):
        self.keywords = keywords or ["offline"]
        self.seed_text = seed_text

    def _number(self, name: str, modulo: int) -> int:
        digest = hashlib.sha256(f"{self.seed_text}\x00{name}".encode("utf-8")).digest()
        return int.from_bytes(digest[:4], "big") % modulo

    def sentence(self, name: str) -> str:
        words = self.keywords[:4]
        topic = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        if name == "reasoning" or name.endswith("_reasoning") or name == "rationale":
            return (f"Step by step: the input mentions {topic}; the offline model answers from those words "
                    f"without any real reasoning.")
        return f"Offline answer about {topic}."

    def value(self, name: str, node: TypeNode, schema: dict | None = None, depth: int = 0) -> Any:
        """A value of type ``node`` for field ``name`` (``schema`` covers named model types)."""
        kind = node.name
        if depth > 4:
            return None
        if kind in ("str", "Reasoning", "Any", "object", "History", "Code"):
            return self.sentence(name) if depth == 0 else self.keywords[self._number(name, len(self.keywords))]
        if kind == "int":
            return self._number(name, 10) + 1
        if kind == "float":
            return round(0.5 + self._number(name, 50) / 100, 2)
        if kind == "bool":
            return self._number(name, 2) == 0
        if kind in ("NoneType", "None"):
            return None
        if kind == "Literal":
            return node.values[0] if node.values else self.sentence(name)
        if kind in ("Union", "Optional"):
            options = [a for a in node.args if a.name not in ("NoneType", "None")]
            return self.value(name, options[0], schema, depth) if options else None
        if kind in ("list", "List", "set", "Set", "frozenset", "Sequence"):
            item = node.args[0] if node.args else TypeNode("str")
            if item.name == "str":
                return list(self.keywords[:3])
            return [self.value(f"{name}.{i}", item, schema, depth + 1) for i in range(2)]
        if kind in ("tuple", "Tuple"):
            return [self.value(f"{name}.{i}", arg, schema, depth + 1) for i, arg in enumerate(node.args)
                    if arg.name != "Ellipsis"]
        if kind in ("dict", "Dict", "Mapping"):
            value_type = node.args[1] if len(node.args) > 1 else TypeNode("str")
            return {word: self.value(f"{name}.{word}", value_type, schema, depth + 1) for word in self.keywords[:2]}
        if kind == "ToolCalls":
            return {"tool_calls": []}
        if schema is not None:
            return self.from_schema(name, schema, schema.get("$defs", {}), depth)
        return self.sentence(name)

    def from_schema(self, name: str, schema: Any, defs: dict, depth: int = 0) -> Any:
        """A value matching a JSON schema (the subset DSPy prints for pydantic types)."""
        if not isinstance(schema, dict) or depth > 6:
            return None
        if "$ref" in schema:
            return self.from_schema(name, defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key, []) if not (isinstance(o, dict) and o.get("type") == "null")]
            if options:
                return self.from_schema(name, options[0], defs, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            properties = schema.get("properties") or {}
            if properties:
                return {key: self.from_schema(key, sub, defs, depth + 1) for key, sub in properties.items()}
            extra = schema.get("additionalProperties")
            sub = extra if isinstance(extra, dict) else {"type": "string"}
            return {self.keywords[0]: self.from_schema(name, sub, defs, depth + 1)}
        if kind == "array":
            items = schema.get("items", {"type": "string"})
            if isinstance(items, dict) and items.get("type") == "string" and len(items) == 1:
                return list(self.keywords[:3])
            return [self.from_schema(f"{name}.0", items, defs, depth + 1)]
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "NoneType"}
        return self.value(name, TypeNode(simple.get(str(kind), "str")), None, 1)
