"""lm15's "judgments": the response-format properties it treats as a pick among keys (MAP-14).

A property of a ``json_schema`` response format is a judgment when it is a boolean, a string
``enum`` (no duplicates), an integer ``enum`` of ``0..n-1`` (n >= 2), or an ``anyOf`` of ``const``
branches of those kinds (a pydantic ``bool``, ``Literal['a', 'b']`` or ``Literal[0, 1, 2]`` output of
DSPy's JSON adapter). dspy 3.4's own engine then writes the schema per wire and reads the answer
differently, and the native wires do the same:

* Anthropic: a judgment property with both ``type`` and ``anyOf`` has the type moved into every
  branch (:func:`anthropic_schema`);
* Gemini: a non-boolean judgment given as ``anyOf`` goes as an ``enum`` (integers for the ordered
  kind), the branches' titles and descriptions folded into the property's description
  (:func:`gemini_schema`);
* the answer, on these wires and on the OpenAI-style chat-completions doors of the same engine:
  when the reply has exactly one text part and it is a JSON object, lm15 keeps the object and dspy
  hands on ``json.dumps(object, ensure_ascii=False)`` as the completion's text (:func:`answer_text`,
  :func:`answer_completion`); an object holding ``NaN`` or ``Infinity`` fails the call, as lm15
  refuses it.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any, NamedTuple


class Judgment(NamedTuple):
    kind: str  # "boolean", "choice" or "ordered"
    keys: tuple[str, ...]
    descriptions: dict[str, str | None]
    titles: dict[str, str | None]


def _const_branches(prop: dict[str, Any]) -> list[dict[str, Any]] | None:
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or not branches:
        return None
    if not all(isinstance(b, dict) and "const" in b for b in branches):
        return None
    return branches


def _judgment(prop: Any) -> Judgment | None:
    if not isinstance(prop, dict):
        return None
    if prop.get("type") == "boolean":
        return Judgment("boolean", ("true", "false"), {"true": None, "false": None}, {})
    enum = prop.get("enum")
    branches = _const_branches(prop)
    if isinstance(enum, list) and enum and branches is None:
        values, descs, titles = enum, {}, {}
    elif branches is not None and enum is None:
        values = [b["const"] for b in branches]
        descs = {str(b["const"]): b.get("description") if isinstance(b.get("description"), str) else None
                 for b in branches}
        titles = {str(b["const"]): b.get("title") if isinstance(b.get("title"), str) else None for b in branches}
    else:
        return None
    if all(isinstance(v, str) and v for v in values):
        if prop.get("type") not in (None, "string") or len(set(values)) != len(values):
            return None
        keys = tuple(values)
        return Judgment("choice", keys, {k: descs.get(k) for k in keys}, {k: titles.get(k) for k in keys})
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        if prop.get("type") not in (None, "integer") or list(values) != list(range(len(values))) or len(values) < 2:
            return None
        keys = tuple(str(v) for v in values)
        return Judgment("ordered", keys, {k: descs.get(k) for k in keys}, {k: titles.get(k) for k in keys})
    return None


class Unholdable(ValueError):
    """A judgment answer lm15 cannot hold (``NaN``, ``Infinity``): dspy's call fails, not retried."""


def judgments(response_format: Any) -> dict[str, Judgment]:
    """The judgments a request's response format declares (lm15's canonical form, or OpenAI's
    ``{"type": "json_schema", "json_schema": {"schema": ...}}``), in property order."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return {}
    inner = response_format.get("json_schema")
    schema = inner.get("schema") if isinstance(inner, dict) else response_format.get("schema")
    if not isinstance(schema, dict) or schema.get("type") not in (None, "object"):
        return {}
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    found = {}
    for name, prop in props.items():
        judgment = _judgment(prop)
        if isinstance(name, str) and judgment is not None:
            found[name] = judgment
    return found


def anthropic_schema(schema: dict[str, Any], found: dict[str, Judgment]) -> dict[str, Any]:
    """lm15's ``anthropic_schema``: a judgment's ``type`` beside an ``anyOf`` moved into each branch."""
    if not found:
        return schema
    out = copy.deepcopy(schema)
    for name in found:
        prop = out["properties"][name]
        branches = prop.get("anyOf")
        if "type" in prop and isinstance(branches, list):
            kind = prop.pop("type")
            for branch in branches:
                branch.setdefault("type", kind)
    return out


def gemini_schema(schema: dict[str, Any], found: dict[str, Judgment]) -> dict[str, Any]:
    """lm15's ``gemini_schema``: a non-boolean judgment's ``anyOf`` as an ``enum`` with its options
    named in the description."""
    if not found:
        return schema
    out = copy.deepcopy(schema)
    for name, judgment in found.items():
        prop = out["properties"][name]
        if judgment.kind == "boolean" or "anyOf" not in prop:
            continue
        ordered = judgment.kind == "ordered"
        prop.pop("anyOf")
        prop["type"] = "integer" if ordered else "string"
        prop["enum"] = [int(k) for k in judgment.keys] if ordered else list(judgment.keys)
        lines = []
        for key in judgment.keys:
            label, desc = judgment.titles.get(key), judgment.descriptions.get(key)
            if label is None and desc is None:
                lines.append(key)
                continue
            lines.append(f"{key} = " + (f"{label}: {desc}" if label and desc else (label or desc or "")))
        if any(judgment.titles.get(k) or judgment.descriptions.get(k) for k in judgment.keys):
            head = prop.get("description") or ""
            prop["description"] = (head + (" " if head else "") + ("Levels: " if ordered else "Options: ")
                                   + "; ".join(lines)).strip()
    return out


def answer_text(texts: list[str], found: dict[str, Judgment]) -> str | None:
    """The completion's text as dspy hands it on when the request declares judgments: the JSON
    object of a reply's only text part, written again with ``json.dumps``; ``None`` when lm15
    keeps the text (no judgments, several text parts, not a JSON object)."""
    if not found or len(texts) != 1:
        return None
    try:
        value = json.loads(texts[0].strip())
    except (ValueError, TypeError):
        return None
    if not isinstance(value, dict):
        return None
    if not _finite(value):  # lm15 cannot hold it: the call fails (dspy's LMError, not retried)
        raise Unholdable("DataPart.value must be a JSON-compatible value (the answer holds NaN or Infinity)")
    return json.dumps(value, ensure_ascii=False)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def answer_completion(completion: Any, found: dict[str, Judgment]) -> Any:
    """A chat completion (its text, or a dict with ``text``) with its text as :func:`answer_text`
    makes it: the message's content is its one text part."""
    text = completion.get("text") if isinstance(completion, dict) else completion
    answer = answer_text([text], found) if isinstance(text, str) else None
    if answer is None:
        return completion
    return {**completion, "text": answer} if isinstance(completion, dict) else answer
