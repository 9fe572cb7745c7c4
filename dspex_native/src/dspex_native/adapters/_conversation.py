"""A ``History`` input field, sent as DSPy's adapters send it: as earlier chat turns.

DSPy's ``Adapter.format``: when the signature has an input field typed ``dspy.History`` (native
also takes ``dspex.History``), the system message and the demos are those of the whole
signature, and then, before the current request, each message of the history becomes a user
message (its inputs, with the reply-format reminder when it has any input) and an assistant
message (its outputs, ``None`` for one it lacks), rendered with the signature without the history
field; the current request is that signature's user message without the history.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import History, Signature, ToolCalls, is_history_type
from dspex_core.errors import CapabilityError

HISTORY_TOOL_CALLS = ("tool calls in a History message with DSPy's native function calling (the JSONAdapter: "
                      "assistant tool_calls messages) or with tool_call_results (tool results turns)")


def history_field(signature: Any) -> str | None:
    """The name of the signature's first input field typed ``History`` (DSPy's
    ``_get_history_field_name``), or ``None``."""
    for name, field in signature.input_fields.items():
        if is_history_type(field.annotation):
            return name
    return None


def without_field(signature: Any, name: str) -> Signature:
    """``signature`` without the field ``name`` (DSPy's ``Signature.delete``), instructions kept."""
    inputs = {n: f for n, f in signature.input_fields.items() if n != name}
    return Signature._make(inputs, dict(signature.output_fields), signature.instructions)


def _check_message(message: dict[str, Any], index: int, native_calls: bool) -> None:
    """A message holding tool calls (DSPy's ``_tool_calls_from_message``: a ToolCalls value or a
    dict with ``tool_calls``) is written as its other values are (its calls as JSON) where DSPy
    does so: without native function calling and without tool results; a value DSPy's ToolCalls
    cannot read is an :class:`InputError`, as DSPy's validation fails."""
    for key, value in message.items():
        if (isinstance(value, dict) and "tool_calls" in value) or type(value).__name__ == "ToolCalls":
            results = value.get("tool_call_results") if isinstance(value, dict) else value.tool_call_results
            if native_calls or results is not None:
                raise CapabilityError(f"native adapters do not support {HISTORY_TOOL_CALLS}: History "
                                      f"messages[{index}] field {key!r}; use implementation='dspy'")
            ToolCalls.of(value)
            return  # (DSPy reads the first such value only)


def turn_messages(fmt: Any, inner: Any, inputs: Mapping[str, Any], native_calls: bool = False) -> list[dict[str, Any]]:
    """The messages after the demos: the history's turns, then the current user message.

    ``fmt`` is the whole signature's format (its ``history`` names the field), ``inner`` the
    same adapter's format of the signature without it; ``native_calls`` is the adapter's native
    function calling (on for ``adapter="json"``), which writes tool calls in the history otherwise."""
    name = fmt.history
    messages: list[dict[str, Any]] = []
    if name in inputs:
        history = History.of(inputs[name])
        input_names = inner.input_names
        for index, message in enumerate(history.messages):
            _check_message(message, index, native_calls)
            if any(n in message for n in input_names):
                messages.append({"role": "user", "content": inner.user_message(message)})
            else:
                content = inner.user_content(message)
                if content:
                    messages.append({"role": "user", "content": content})
            content = inner.assistant_content(message, None)
            if content:
                messages.append({"role": "assistant", "content": content})
        inputs = {k: v for k, v in inputs.items() if k != name}
    content = inner.user_message(inputs)
    if content:
        messages.append({"role": "user", "content": content})
    return messages
