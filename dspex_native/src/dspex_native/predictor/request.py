"""The request of one predictor call: which LM, which settings, which messages.

The settings are exactly those DSPy's ``Predict`` would hand its LM for the same module
configuration (its ``_forward_preprocess``, including the n/temperature rule), and the LM client
writes them as ``dspy.LM`` would on the same route (``dspex_native.lm.engine``: by default dspy
3.4's own engine, ``n`` completions in ``n`` requests; LiteLLM's with ``engine="litellm"``); the
messages are the precomputed system message and demos plus the rendered user message. After a chat
reply that cannot be parsed, :func:`fallback_request` is DSPy's second try in JSON format.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import LM, settings_rules
from dspex_core.config import settings as _settings
from dspex_core.errors import InputError

from dspex_native.adapters import ADAPTERS, get_format, json_format, response_format
from dspex_native.adapters._content_parts import START, split_message
from dspex_native.adapters._call_plan import plan as call_plan
from dspex_native.adapters._conversation import turn_messages, without_field
from dspex_native.lm.defaults import LMWithDefaults
from dspex_native.predictor.options import EXECUTE_OPTIONS, adapter_not_built, checked_inputs, demo_list
from dspex_native.predictor.state import PredictState

_CONFIGURE_HINT = ("configure an LM: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), pass lm= to create(), "
                   "or pass lm= to this call")


def request_settings(state: PredictState, lm: Any, config: Any) -> dict[str, Any]:
    """DSPy's ``Predict._forward_preprocess`` settings, including its n/temperature rule."""
    if config:
        settings = {**state.config, **settings_rules.check_settings(state.module_type, config)}
    elif state.config:
        settings = dict(state.config)
    else:
        settings = {}
    if isinstance(lm, LM):
        defaults = lm.settings
    elif type(lm) is LMWithDefaults:  # a reward loop's copy of a custom LM (DSPy's lm.copy)
        defaults = lm.defaults
    elif not settings:
        return settings  # a custom LM has no defaults: nothing to add or drop
    else:
        defaults = {}
    temperature = settings.get("temperature") or defaults.get("temperature")
    n = settings.get("n") or defaults.get("n") or defaults.get("num_generations") or 1
    if (temperature is None or temperature <= 0.15) and n > 1:
        settings["temperature"] = 0.7
    return settings


def prepare(state: PredictState, inputs: Any, options: dict[str, Any]) -> tuple:
    """``(lm, settings, messages, demos given to this call or None, format, inputs)`` of a call."""
    for key in options:
        if key not in EXECUTE_OPTIONS:
            unknown = sorted(set(options) - EXECUTE_OPTIONS)
            raise InputError(f"{state.module_type}: unknown call option(s) {unknown}; "
                             f"accepted: {', '.join(sorted(EXECUTE_OPTIONS))}")
    if type(inputs) is not dict and not isinstance(inputs, Mapping):
        raise InputError(f"{state.module_type}: inputs must be a mapping of field names to values, "
                         f"got {type(inputs).__name__}")
    if inputs.keys() != state.format.input_set:  # a missing, misspelt or extra input
        inputs = checked_inputs(state.module_type, state.format, inputs)
        defaults = state.format.input_defaults
        if defaults and not defaults.keys() <= inputs.keys():  # DSPy fills in a left-out input's default=
            inputs = {**{k: v for k, v in defaults.items() if k not in inputs}, **inputs}
    lm = options.get("lm")
    if lm is None:
        lm = state.lm
    current = None
    if lm is None:
        current = _settings()
        lm = current.lm
        if lm is None:
            raise InputError(f"no LM for this {state.module_type} call; {_CONFIGURE_HINT}")
    settings = request_settings(state, lm, options.get("config"))
    if "prediction" in inputs:
        predicted = inputs["prediction"]
        if type(predicted) is dict and predicted.get("type") == "content" and "content" in predicted:
            # OpenAI's predicted outputs: DSPy moves them from the inputs to the request.
            settings["prediction"] = predicted
            inputs = {k: v for k, v in inputs.items() if k != "prediction"}
    fmt = state.format
    adapter = state.adapter
    if adapter == "auto":
        adapter = (current or _settings()).adapter or "chat"
        if adapter not in ADAPTERS:
            raise adapter_not_built(state.module_type, adapter, f" (dspex.settings().adapter is {adapter!r})")
        if adapter != "chat":
            fmt = get_format(state.signature, adapter)
    demos = options.get("demos")
    if demos is None:
        demo_messages, demos = (state.demo_messages if adapter == "chat" else state.adapter_demo_messages(adapter)), None
    else:
        demos = demo_list(demos, state.module_type)
        demo_messages = list(map(split_message, fmt.demo_messages(demos)))
    if adapter == "json":
        # DSPy's JSONAdapter asks for JSON when the model can
        extra = response_format(lm, fmt, state.native_calls(adapter))
        if extra is not None:
            settings["response_format"] = extra
    if (fmt.natively_answered or "tools" in settings or "tool_choice" in settings
            or "parallel_tool_calls" in settings):  # what a native feature changes (adapters/_call_plan.py)
        planned = call_plan(fmt, lm, inputs, settings, state.native_calls(adapter), state.parallel_tool_calls,
                            lambda signature: get_format(signature, adapter))
        if planned is not fmt:  # native tools or reasoning: the prompt leaves their fields out
            fmt = planned
            demo_messages = list(map(split_message, fmt.demo_messages(state.demos if demos is None else demos)))
    messages = [{"role": "system", "content": fmt.system}]
    if demo_messages:
        messages.extend(map(fresh_message, demo_messages))  # the LM may keep or change them
    if fmt.history is None:  # the common case, inline: every call takes this path
        content = fmt.user_message(inputs)
        message = {"role": "user", "content": content}
        messages.append(split_message(message) if START in content else message)
    else:
        _add_request(messages, fmt, adapter, inputs, native_calls=state.native_calls(adapter))
    return lm, settings, messages, demos, fmt, inputs


def fresh_message(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of a (cached) message that a caller may change: content parts are copied too."""
    content = message["content"]
    if type(content) is str:
        return dict(message)
    return {**message, "content": [dict(part) for part in content]}


def _add_request(messages: list[dict[str, Any]], fmt: Any, adapter: str, inputs: Mapping[str, Any],
                 native_calls: bool = False) -> None:
    """Append this call's user message (or the history's turns and it), images split into content
    parts as DSPy splits them (the demos were split when they were rendered). ``native_calls``:
    the adapter's native function calling (the JSONAdapter's default; not its retry after the ChatAdapter)."""
    if fmt.history is None:
        content = fmt.user_message(inputs)
        message = {"role": "user", "content": content}
        messages.append(split_message(message) if START in content else message)
    else:
        messages.extend(map(split_message, turn_messages(fmt, _inner_format(fmt, adapter), inputs, native_calls,
                                                         lambda signature: get_format(signature, adapter))))


def _inner_format(fmt: Any, adapter: str) -> Any:
    """The format of ``fmt``'s signature without its History field (the history's turns and the
    current request are rendered with it), kept on ``fmt``."""
    inner = getattr(fmt, "inner_format", None)
    if inner is None:
        inner = fmt.inner_format = get_format(without_field(fmt.signature, fmt.history), adapter)
    return inner


def fallback_request(state: PredictState, lm: Any, settings: dict, inputs: Mapping, demos: Any) -> tuple:
    """``(format, messages)`` of DSPy's retry in JSON format; ``settings`` gain its ``response_format``."""
    fmt = json_format(state.signature)
    messages = [{"role": "system", "content": fmt.system}]
    if demos is None:
        messages.extend(map(fresh_message, state.json_demo_messages()))
    else:
        messages.extend(map(split_message, fmt.demo_messages(demos)))
    _add_request(messages, fmt, "json", inputs)
    extra = response_format(lm, fmt, native_function_calling=False)  # the ChatAdapter's own setting
    if extra is not None:
        settings["response_format"] = extra
    return fmt, messages
