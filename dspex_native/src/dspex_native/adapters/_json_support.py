"""Whether DSPy's JSONAdapter asks a model for JSON, and for a JSON schema: dspy 3.4's rule.

DSPy adds ``response_format`` when ``"response_format" in lm.supported_params`` and sends a JSON
schema when ``lm.supports_response_schema`` too (else ``{"type": "json_object"}``). Both come
from where the LM's requests go (:mod:`dspex_native.lm.engine`):

* dspy's own engine (lm15) reads its model metadata snapshot: the entry of the model in the
  provider's namespaces (a bare entry and the snapshot's family rules fill what it leaves
  unsaid); an OpenAI-compatible door offers ``response_format`` when the model supports a
  response schema or function calling, and a schema when it supports a response schema;
  Anthropic's door offers it (a schema) only when the model supports a response schema,
  Gemini's always (a schema when the model supports one);
* LiteLLM's route asks LiteLLM (its supported parameters and its model map), whose answers per
  provider and model are recorded (with ``supports_function_calling``, which decides the
  JSONAdapter's native function calling there: :func:`litellm_function_calling`).

The data is ``json_support.json``, extracted from dspy 3.4.1 by ``tools/dspy_tables.py``; a
parity test checks native's answer against dspy's for every model of the snapshot native reaches.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

from dspex_core.backend import LM, LRUCache

from dspex_native.lm.engine import door, route

_tables: dict[str, Any] | None = None
#: id(lm) -> (lm, its settings then, (response_format offered, schema supported))
_answers: LRUCache[int, tuple[Any, dict, tuple[bool, bool]]] = LRUCache(1024)


def _data() -> dict[str, Any]:
    global _tables
    if _tables is None:
        _tables = json.loads(files("dspex_native.adapters").joinpath("json_support.json").read_text(encoding="utf-8"))
        for rule in _tables["lm15"]["rules"]:
            rule["regex"] = re.compile(rule["pattern"])
    return _tables


def capabilities(lm: LM) -> tuple[bool, bool]:
    """``("response_format" in dspy's lm.supported_params, lm.supports_response_schema)`` for the
    ``dspy.LM`` with the same model and settings."""
    known = _answers.get(id(lm))
    if known is not None and known[0] is lm and known[1] == lm.settings:
        return known[2]
    where = route(lm)
    if where.own:
        found = door(lm.model)
        model = lm.model.partition("/")[2] if "/" in lm.model else lm.model
        if found is None:  # Anthropic's and Gemini's own wires (dspex_native.lm.wire_*), by dialect:
            schema, _ = lm15_supports(where.provider, model)
            # Anthropic offers response_format for a model with a response schema only; Gemini always
            answer = (schema or where.provider == "gemini", schema)
        else:
            schema, tools = lm15_supports(found["provider"], model)
            answer = (schema or tools, schema and found["json_schema"] != "reject")
    else:
        answer = litellm_decision(lm.provider, lm.model)
    _answers.put(id(lm), (lm, dict(lm.settings), answer))
    return answer


def lm15_supports(provider: str, model: str) -> tuple[bool, bool]:
    """``(supports_response_schema, supports_function_calling)`` as dspy's ``model_info`` reads
    them for lm15's ``provider`` (unknown is ``False``)."""
    table = _data()["lm15"]
    names = table["namespaces"].get(provider, [provider])
    entries = table["entries"]
    keys = [f"{name}/{model}" for name in names]
    bare = entries.get(model)
    if bare is not None and bare[2] in names:
        keys.append(model)
    else:
        bare = None
    found = next((entries[key] for key in keys if key in entries), None)
    if found is None:
        for name in names:
            aliases = table["aliases"].get(name, {})
            hit = next((aliases[key] for key in (*keys, model) if key in aliases), None)
            if hit is not None:
                found = entries[hit]
                break
    values = list(found[:2]) if found is not None else [None, None]
    if bare is not None:
        values = [bare[i] if values[i] is None else values[i] for i in (0, 1)]
    for rule in table["rules"]:
        if found is not None and rule["providers"] is not None and found[2] not in rule["providers"]:
            continue
        if rule["regex"].search(model):
            values = [rule["supports"][i] if values[i] is None else values[i] for i in (0, 1)]
    return values[0] is True, values[1] is True


def litellm_decision(provider: str, model: str) -> tuple[bool, bool]:
    """LiteLLM's ``(response_format offered, response schema supported)`` for ``model`` as
    written (``provider/name``, or a bare OpenAI name): its map's answer where the table records
    one, else the provider's answer for a model it does not know."""
    table = _data()["litellm"].get(provider)
    if table is None:
        return True, False
    found = table["models"].get(model, table["default"])
    return bool(found[0]), bool(found[1])


def litellm_function_calling(provider: str, model: str) -> bool:
    """``litellm.supports_function_calling(model)`` as dspy's LM asks it on LiteLLM's route
    (unknown providers and models: ``False``, LiteLLM's answer for a model its map lacks)."""
    table = _data()["litellm"].get(provider)
    if table is None:
        return False
    return bool(table["models"].get(model, table["default"])[2])
