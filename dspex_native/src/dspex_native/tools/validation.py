"""Checking a tool argument against its JSON schema, as ``dspy.Tool`` does with ``jsonschema``.

Before it calls a tool, DSPy validates each argument the LM chose with
``jsonschema.validate(instance, schema)`` (draft 2020-12) and, when that fails, tells the LM
``Arg <name> is invalid: <message>``. The message is the one jsonschema's ``best_match``
heuristic picks among all the errors, so we follow jsonschema's keywords (``type``, ``items``,
``additionalProperties``, ``anyOf``, ``enum``, ``const``: all the schemas
:mod:`dspex_native.tools.schema` produces) and its relevance rules, not just "is it valid":
the LM reads the same sentence on both backends. A schema with other keywords (pydantic's for a
model, an ``Enum``, a ``datetime``, ...) is checked by the jsonschema library itself
(:func:`schema_error`), as DSPy checks it; without jsonschema installed such a tool is refused
at ``create``.
"""

from __future__ import annotations

import heapq
from typing import Any

#: The keywords :func:`best_error` understands; annotations (``default``, ``description``,
#: ``title``) carry no check. A schema with any other keyword is not served natively.
KEYWORDS = frozenset({"type", "items", "additionalProperties", "anyOf", "enum", "const", "default", "description",
                      "title"})
_WEAK = frozenset({"anyOf", "oneOf"})


class _Error:
    __slots__ = ("message", "keyword", "path", "schema", "instance", "context")

    def __init__(self, message: str, keyword: str, schema: dict, instance: Any, context: list | None = None):
        self.message = message
        self.keyword = keyword
        self.path: tuple = ()
        self.schema = schema
        self.instance = instance
        self.context = context or []


def is_type(instance: Any, kind: str) -> bool:
    """jsonschema's draft 2020-12 type checker."""
    if kind == "string":
        return isinstance(instance, str)
    if kind == "integer":
        if isinstance(instance, bool):
            return False
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if kind == "number":
        if isinstance(instance, bool):
            return False
        import numbers

        return isinstance(instance, numbers.Number)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    if kind == "array":
        return isinstance(instance, list)
    if kind == "object":
        return isinstance(instance, dict)
    raise ValueError(f"unknown JSON schema type {kind!r}")


def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, also inside lists and dicts."""
    from collections.abc import Mapping, Sequence

    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(k in two and equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


def _errors(instance: Any, schema: Any) -> list[_Error]:
    """Every error of ``instance`` against ``schema``, in jsonschema's order (schema keyword order)."""
    if schema is True or schema == {}:
        return []
    out: list[_Error] = []
    for keyword, value in schema.items():
        if keyword == "type":
            kinds = value if isinstance(value, list) else [value]
            if not any(is_type(instance, kind) for kind in kinds):
                out.append(_Error(f"{instance!r} is not of type {', '.join(repr(k) for k in kinds)}", keyword,
                                  schema, instance))
        elif keyword == "items":
            if isinstance(instance, list):
                for index, item in enumerate(instance):
                    out.extend(_descend(_errors(item, value), index))
        elif keyword == "additionalProperties":
            if isinstance(instance, dict) and isinstance(value, dict):
                for key in set(instance):
                    out.extend(_descend(_errors(instance[key], value), key))
        elif keyword == "anyOf":
            context: list[_Error] = []
            for subschema in value:
                found = _errors(instance, subschema)
                if not found:
                    break
                context.extend(found)
            else:
                out.append(_Error(f"{instance!r} is not valid under any of the given schemas", keyword, schema,
                                  instance, context))
        elif keyword == "enum":
            if all(not equal(each, instance) for each in value):
                out.append(_Error(f"{instance!r} is not one of {value!r}", keyword, schema, instance))
        elif keyword == "const":
            if not equal(instance, value):
                out.append(_Error(f"{value!r} was expected", keyword, schema, instance))
    return out


def _descend(errors: list[_Error], step: Any) -> list[_Error]:
    for error in errors:
        error.path = (step, *error.path)
    return errors


def _relevance(error: _Error) -> tuple:
    """jsonschema's ``relevance`` key: shallow errors first, then by path, strong keywords, type matches."""
    expected = error.schema.get("type") if isinstance(error.schema, dict) else None
    if expected is None:
        matches = False
    elif isinstance(expected, str):
        matches = is_type(error.instance, expected)
    else:
        matches = any(is_type(error.instance, kind) for kind in expected)
    return (-len(error.path), error.path, error.keyword not in _WEAK, False, not matches)


def best_error(instance: Any, schema: dict[str, Any]) -> str | None:
    """The message ``jsonschema.validate(instance, schema)`` raises with, or ``None`` when valid."""
    errors = _errors(instance, schema)
    if not errors:
        return None
    best = max(errors, key=_relevance)
    while best.context:
        smallest = heapq.nsmallest(2, best.context, key=_relevance)
        if len(smallest) == 2 and _relevance(smallest[0]) == _relevance(smallest[1]):
            return best.message
        best = smallest[0]
    return best.message


def schema_error(instance: Any, schema: dict[str, Any]) -> str | None:
    """The message ``jsonschema.validate(instance, schema)`` raises with, or ``None`` when valid:
    :func:`best_error` for the schemas it understands, the jsonschema library itself for the others
    (pydantic's schemas of models, ``Enum``, ``datetime``, ...: ``properties``, ``required``,
    ``format``, ``minimum``, ...), which is what DSPy calls."""
    if not unsupported_keywords(schema):
        return best_error(instance, schema)
    import jsonschema

    try:
        jsonschema.validate(instance=instance, schema=schema)
    except jsonschema.ValidationError as exc:
        return exc.message
    return None


def unsupported_keywords(schema: Any) -> list[str]:
    """The keywords of ``schema`` (at any depth) that :func:`best_error` does not understand."""
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, dict):
        return [repr(schema)]
    found = [k for k in schema if k not in KEYWORDS]
    for keyword in ("items", "additionalProperties"):
        if keyword in schema:
            found.extend(unsupported_keywords(schema[keyword]))
    for subschema in schema.get("anyOf", ()):
        found.extend(unsupported_keywords(subschema))
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        found.extend(repr(k) for k in kinds if k not in ("string", "integer", "number", "boolean", "null", "array",
                                                           "object"))
    return found
