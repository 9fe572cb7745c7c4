"""A ``History`` input field, sent as DSPy's adapters send it: as earlier chat turns.

DSPy's ``Adapter.format``: when the signature has an input field typed ``dspy.History`` (native
also takes ``dspex.History``), the system message and the demos are those of the whole
signature, and then, before the current request, each message of the history becomes a user
message (its inputs, with the reply-format reminder when it has any input) and an assistant
message (its outputs, ``None`` for one it lacks), rendered with the signature without the history
field; the current request is that signature's user message without the history.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from dspex_core.backend import History, Signature, ToolCallResults, ToolCalls, is_history_type
from dspex_core.errors import CapabilityError

from dspex_native.adapters._values import dumps, format_value, jsonable

HISTORY_TOOL_CALLS = "tool calls with tool_call_results in a History message with the XMLAdapter"
_RESULTS_HEADER = "[[ ## tool_call_results ## ]]\n"


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


def _tool_calls_of(message: dict[str, Any]) -> tuple[str | None, ToolCalls | None]:
    """DSPy's ``_tool_calls_from_message``: the first value that is a ToolCalls (dspy's or dspex's)
    or a dict with ``tool_calls``, read as one (a value it cannot read is an :class:`InputError`,
    as DSPy's validation fails)."""
    for key, value in message.items():
        if (isinstance(value, dict) and "tool_calls" in value) or type(value).__name__ == "ToolCalls":
            return key, ToolCalls.of(value)
    return None, None


def _results_of(calls: ToolCalls | None) -> ToolCallResults | None:
    if calls is None or calls.tool_call_results is None:
        return None
    return ToolCallResults.of(calls.tool_call_results)


def _openai_call(call: Any) -> dict[str, Any]:
    """DSPy's ``_tool_call_as_openai_message_tool_call``."""
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": dumps(jsonable(call.args))}}


def _result_text(value: Any) -> str:
    """DSPy's ``_tool_result_content``: a string as it is, anything else as JSON."""
    return value if isinstance(value, str) else dumps(jsonable(value))


def turn_messages(fmt: Any, inner: Any, inputs: Mapping[str, Any], native_calls: bool = False,
                  make_format: Callable[[Any], Any] | None = None) -> list[dict[str, Any]]:
    """The messages after the demos: the history's turns, then the current user message.

    ``fmt`` is the whole signature's format (its ``history`` names the field), ``inner`` the
    same adapter's format of the signature without it; ``native_calls`` is the adapter's native
    function calling, with which a message's tool calls and their results are sent as an assistant
    ``tool_calls`` message and ``tool`` messages (``make_format`` makes the adapter's format of a
    signature, for the assistant text beside them); without it, the calls are the assistant's
    values and their results a user message of ``tool_call_results``."""
    name = fmt.history
    messages: list[dict[str, Any]] = []
    if name in inputs:
        history = History.of(inputs[name])
        input_names = inner.input_names
        for message in history.messages:
            calls_field, calls = _tool_calls_of(message)
            results = _results_of(calls)
            if any(n in message for n in input_names):
                messages.append({"role": "user", "content": inner.user_message(message)})
            else:
                content = inner.user_content(message)
                if content:
                    messages.append({"role": "user", "content": content})
            if native_calls and calls is not None:
                messages.extend(_native_turn(inner, message, calls, results, make_format))
                continue
            values = message
            if calls_field is not None and results is not None:
                values = {**message, calls_field: calls.without_results()}
            content = inner.assistant_content(values, None)
            if content:
                messages.append({"role": "assistant", "content": content})
            if results is not None:
                if inner.adapter_name == "XMLAdapter":
                    raise CapabilityError(f"native adapters do not support {HISTORY_TOOL_CALLS}; "
                                          "use implementation='dspy'")
                messages.append({"role": "user", "content": _RESULTS_HEADER + format_value(results, None)})
        inputs = {k: v for k, v in inputs.items() if k != name}
    content = inner.user_message(inputs)
    if content:
        messages.append({"role": "user", "content": content})
    return messages


def _native_turn(inner: Any, message: dict[str, Any], calls: ToolCalls, results: ToolCallResults | None,
                 make_format: Callable[[Any], Any] | None) -> list[dict[str, Any]]:
    """A message's reply with native function calling: its other outputs as text, its calls as
    the assistant's ``tool_calls`` and one ``tool`` message per result (only when every call has an
    id and the results answer the calls in order; otherwise the calls are left out)."""
    from dspex_native.adapters._tool_calls import tool_calls_outputs

    skipped = set(tool_calls_outputs(inner))
    shown = [n for n in inner.output_names if n not in skipped and message.get(n) is not None]
    content = ""
    if shown:
        signature = inner.signature
        kept = Signature._make(dict(signature.input_fields),
                               {n: f for n, f in signature.output_fields.items() if n in shown},
                               signature.instructions)
        content = (make_format(kept) if make_format is not None else inner).assistant_content(message, None)
    if results is not None:
        ids = [call.id for call in calls.tool_calls]
        if ids != [result.call_id for result in results.tool_call_results] or not all(ids):
            results = None
    out: list[dict[str, Any]] = []
    if content or results is not None:
        reply: dict[str, Any] = {"role": "assistant", "content": content or None}
        if results is not None:
            reply["tool_calls"] = [_openai_call(call) for call in calls.tool_calls]
        out.append(reply)
    if results is not None:
        for result in results.tool_call_results:
            out.append({"role": "tool", "tool_call_id": result.call_id, "name": result.name,
                        "content": _result_text(result.value)})
    return out
