"""A ``ToolCalls`` output field (``dspex.ToolCalls`` or ``dspy.ToolCalls``), as DSPy 3.4's adapters
write and read it when the calls come back in the reply text.

Without native function calling (the ChatAdapter's and XMLAdapter's default, and the JSONAdapter
when the model cannot call functions) DSPy treats the field as a JSON value: the field list adds
the type's description, the structure block pydantic's schema of the type (``id`` and
``tool_call_results`` left out, as DSPy's schema hook does), the reply reminder its own example,
and the reply is read into the field's type. This file holds those pieces; the adapters use them
where a field's annotation is exactly the type (as DSPy's ``annotation == ToolCalls``).

With native function calling (the JSONAdapter's default, a tool input and a model that can call
functions, :func:`function_calling`) DSPy sends the tools in the request and reads the LM's
``tool_calls`` instead: :mod:`._native_calls`.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import LM, ToolCalls, is_tool_calls_type


#: pydantic's ``TypeAdapter(dspy.ToolCalls).json_schema()`` (DSPy's hooks drop ``id`` and ``tool_call_results``)
SCHEMA: dict[str, Any] = {
    "$defs": {"ToolCall": {"properties": {"name": {"title": "Name", "type": "string"},
                                          "args": {"additionalProperties": True, "title": "Args", "type": "object"}},
                           "required": ["name", "args"], "title": "ToolCall", "type": "object"}},
    "properties": {"tool_calls": {"items": {"$ref": "#/$defs/ToolCall"}, "title": "Tool Calls", "type": "array"}},
    "required": ["tool_calls"], "title": "ToolCalls", "type": "object",
}
#: what DSPy's reply reminders say of the field's value
REMINDER = ' (must be a JSON object like {"tool_calls": [{"name": "...", "args": {...}}]})'
#: the line DSPy's field list adds under the field (``Type description of ToolCalls``)
DESCRIPTION = f"\n    Type description of ToolCalls: {ToolCalls.description()}"


def tool_calls_outputs(fmt: Any) -> tuple[str, ...]:
    """The names of ``fmt``'s outputs typed ToolCalls."""
    return tuple(n for n, a in fmt.outputs if is_tool_calls_type(a))


def function_calling(lm: Any) -> bool:
    """``lm.supports_function_calling`` as dspy's LM answers it for the same model and settings:
    lm15's model metadata on dspy's own engine, LiteLLM's model map on LiteLLM's route."""
    if not isinstance(lm, LM):
        return bool(getattr(lm, "supports_function_calling", False))
    from dspex_native.adapters._json_support import litellm_function_calling, lm15_supports
    from dspex_native.lm.engine import door, route

    where = route(lm)
    if not where.own:
        return litellm_function_calling(lm.provider, lm.model)
    found = door(lm.model)
    model = lm.model.partition("/")[2] if "/" in lm.model else lm.model
    return lm15_supports(found["provider"] if found is not None else where.provider, model)[1]
