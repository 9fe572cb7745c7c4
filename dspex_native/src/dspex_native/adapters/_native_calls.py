"""DSPy's native function calling: a ToolCalls output answered by the LM's own ``tool_calls``.

With native function calling on (the JSONAdapter's default, the ChatAdapter's and XMLAdapter's
``use_native_function_calling=True``), a signature with a tool input
(``Tool`` or ``list[Tool]``) and a ``ToolCalls`` output, and a model that can call functions,
DSPy 3.4 (``Adapter._call_preprocess`` / ``_call_postprocess``) sends the tools in the request
(``tools=[tool.format_as_litellm_function_call(), ...]``), renders the prompt from the signature
without those two fields, and reads the reply's ``tool_calls`` into the ToolCalls value (the
reply's text, when there is one, is read for the other outputs; they are ``None`` when the reply
holds only calls). :func:`native_tools` decides whether a call does so (:mod:`._call_plan` applies
it) and :class:`NativeFormat` reads its replies. Built on the OpenAI-style chat-completions requests
of dspy's own engine and of LiteLLM's route (its providers :mod:`dspex_native.lm.litellm_tools`
builds), and on dspy's own engine's Anthropic and Gemini wires; both providers' LiteLLM routes
stay a :class:`~dspex_core.CapabilityError`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import LM
from dspex_core.errors import AdapterParseError, CapabilityError, InputError

from dspex_native._not_implemented import NATIVE_CALLS


def tool_function(tool: Any) -> dict[str, Any]:
    """``tool.format_as_litellm_function_call()``: DSPy's function description of a tool."""
    try:
        name, desc, args = tool.name, tool.desc, tool.args
    except AttributeError:
        raise InputError(f"a tool input must hold dspy.Tool or dspex Tool objects, got {type(tool).__name__}: "
                         f"{tool!r}") from None
    return {"type": "function",
            "function": {"name": name, "description": desc,
                         "parameters": {"type": "object", "properties": args,
                                        "required": [k for k in args if "default" not in args[k]]}}}


def call_dict(call: Any) -> dict[str, Any]:
    """DSPy's ``_provider_tool_call_to_tool_call_dict``: ``{"id", "name", "args"}`` of one of the
    reply's ``tool_calls`` (arguments given as a JSON string are read leniently, as json_repair)."""
    from dspex_native.adapters._lenient_json import loads_lenient

    function = _value(call, "function", {}) or {}
    arguments = _value(function, "arguments", None) or _value(call, "arguments", {})
    if isinstance(arguments, str):
        arguments = loads_lenient(arguments)
    if not isinstance(arguments, dict):
        arguments = {}
    return {"id": _value(call, "call_id") or _value(call, "id"),
            "name": _value(function, "name") or _value(call, "name"), "args": arguments}


def _value(item: Any, key: str, default: Any = None) -> Any:
    return item.get(key, default) if isinstance(item, Mapping) else getattr(item, key, default)


class NativeFormat:
    """The format of the signature without the fields native features answer (``inner``),
    reading a reply as DSPy's ``_call_postprocess`` does: the text for the other outputs, the
    reply's ``tool_calls`` into the ToolCalls output ``field`` (when the tools went in the
    request), its ``reasoning_content`` into the ``reasoning`` outputs; everything else is
    ``inner``'s."""

    reads_tool_calls = True  # the predictor hands over whole completions (dicts), not their text

    def __init__(self, inner: Any, field: str | None, calls_type: Any, outputs: tuple[str, ...],
                 defaults: Mapping[str, Any], reasoning: Mapping[str, Any] | None = None):
        self.inner, self.field, self.output_names, self.defaults = inner, field, outputs, defaults
        #: the field's type: ``dspex.ToolCalls``, or ``dspy.ToolCalls`` (its own values, as DSPy gives them)
        self.calls_type = calls_type
        #: output name -> its dspy.Reasoning type, for the outputs the LM reasons natively
        self.reasoning = dict(reasoning or {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def parse(self, output: Any) -> dict[str, Any]:
        """The outputs of one completion: a string, or ``{"text", "tool_calls", "reasoning_content"}``."""
        text, calls = (output.get("text"), output.get("tool_calls")) if isinstance(output, dict) else (output, None)
        native_calls = bool(calls) and self.field is not None
        if text and not native_calls:
            value = self.inner.parse(text)
        elif native_calls:
            try:
                value = self.inner.parse(text) if text and self.inner.outputs else {}
            except AdapterParseError:
                value = {}
        else:
            raise self.inner.error(str(output), "The LM returned an empty or null response.")
        for name in self.output_names:
            if name not in value:
                value[name] = _default(self.defaults[name]) if name in self.defaults else None
        if native_calls:
            value[self.field] = self.calls_type.from_dict_list([call_dict(call) for call in calls])
        if self.reasoning and isinstance(output, dict) and "reasoning_content" in output:
            for name, kind in self.reasoning.items():
                value[name] = kind(content=output["reasoning_content"])
        return value


def _default(extra: Any) -> Any:
    from dspex_native.adapters._chat import _default_of

    return _default_of(extra)


def native_tools(fmt: Any, lm: Any, inputs: Mapping[str, Any]) -> tuple[str, str, list | None] | None:
    """With native function calling on: ``None`` when the signature has no ToolCalls output, else
    ``(its name, the tool input's name, the tools' function descriptions)``, the descriptions
    ``None`` when the LM cannot call functions. The ``ValueError`` DSPy raises for a ToolCalls
    output without a tool input is an :class:`InputError`; routes whose requests native does not
    write with tools are a :class:`CapabilityError`."""
    from dspex_native.adapters._tool_calls import function_calling, tool_calls_outputs
    from dspex_native.adapters._tool_inputs import takes_tools

    outputs = tool_calls_outputs(fmt)
    if not outputs:
        return None
    tool_input = next((n for n, a in fmt.inputs if takes_tools(a)), None)
    check_tool_input(fmt, outputs[0], tool_input)
    if not function_calling(lm):
        return outputs[0], tool_input, None
    _check_route(lm)
    tools = inputs[tool_input]
    tools = tools if isinstance(tools, list) else [tools]
    return outputs[0], tool_input, [tool_function(tool) for tool in tools]


def check_tool_input(fmt: Any, calls_field: str, tool_input: str | None) -> None:
    """DSPy's ``ValueError`` for a ToolCalls output without a tool input, as an :class:`InputError`."""
    if tool_input is None:
        raise InputError(f"You provided an output field {calls_field} to receive the tool calls information, but did "
                         "not provide any tools as the input. Please provide a list of tools as the input by adding "
                         "an input field with type `list[dspy.Tool]`.")


def _check_route(lm: Any) -> None:
    """Native writes tools on OpenAI-style chat-completions requests (dspy's own engine's, and
    LiteLLM's for the providers :mod:`dspex_native.lm.litellm_tools` builds) and on dspy's own
    engine's Anthropic and Gemini wires; their LiteLLM routes and LiteLLM's other providers are a
    :class:`CapabilityError`."""
    if not isinstance(lm, LM):
        return  # a custom LM object is handed ``tools=`` as dspy hands it
    from dspex_native.lm._wire_input import TOOL_WIRES
    from dspex_native.lm.engine import OWN_WIRES, route
    from dspex_native.lm.litellm_tools import BUILT

    where = route(lm)
    wire = lm.provider if lm.provider in OWN_WIRES else where.provider if where.provider in OWN_WIRES else None
    built = (where.own and wire in TOOL_WIRES) if wire is not None else (where.own or lm.provider in BUILT)
    if not built:
        raise CapabilityError(f"native does not build {NATIVE_CALLS} for {lm.model!r} on this route; use "
                              f"adapter='chat' or 'xml', or implementation='dspy'")
