"""What DSPy 3.4's ``Adapter._call_preprocess`` does to a call before its prompt is written.

Two native LM features take fields out of the prompt and put settings in the request:

* native function calling (the adapter's ``use_native_function_calling``: on for the JSONAdapter,
  off for the ChatAdapter and XMLAdapter unless asked for): with a tool input and a ``ToolCalls``
  output, and an LM that can call functions, the tools go in the request (``tools=``, and the
  adapter's ``parallel_tool_calls``) and the calls come back as the reply's ``tool_calls``
  (:mod:`._native_calls`). Without it, ``tools``/``tool_choice``/``parallel_tool_calls`` settings
  are dropped, as they are when the LM cannot call functions;
* native reasoning: an output typed ``dspy.Reasoning`` on an LM that reasons natively is left out
  of the prompt, ``reasoning_effort`` (the call's, else the LM's default, else ``"low"``; ``None``
  turns the feature off) is sent, and the field is read from the reply's ``reasoning_content``.

:func:`plan` returns the format the call renders and parses with (the same one when neither
feature applies) and updates the request settings in place.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from dspex_core.backend import LM, Signature
from dspex_core.errors import CapabilityError

from dspex_native.adapters._types import is_reasoning_type

TOOL_SETTINGS = ("tools", "tool_choice", "parallel_tool_calls")
REASONING_ON_PROVIDER_LMS = ("dspy.Reasoning outputs on a provider LM (dspex.LM) without reasoning_effort=None: "
                             "whether the model reasons natively is not recorded natively")


def plan(fmt: Any, lm: Any, inputs: Mapping[str, Any], settings: dict[str, Any], native_calls: bool,
         parallel_tool_calls: bool | None, make_format: Callable[[Any], Any]) -> Any:
    """The format of this call (``fmt``, or one of its signature without the fields native
    features answer); ``settings`` gain or lose what DSPy's adapter adds or drops.
    ``make_format`` makes the adapter's format of a signature."""
    if not fmt.natively_answered:  # no output a native feature answers: only the tool settings' rule applies
        if not native_calls:
            for key in TOOL_SETTINGS:
                settings.pop(key, None)
        if settings.get("parallel_tool_calls") is not None:
            settings.setdefault("tool_choice", "auto")
        return fmt
    from dspex_native.adapters._native_calls import native_tools

    drop: list[str] = []
    calls_field = None
    if not native_calls:
        for key in TOOL_SETTINGS:
            settings.pop(key, None)
    else:
        found = native_tools(fmt, lm, inputs)
        if found is not None:
            calls_field, tool_input, tools = found
            if calls_field is not None and tools is not None:
                settings["tools"] = tools
                if parallel_tool_calls is not None and settings.get("parallel_tool_calls") is None:
                    settings["parallel_tool_calls"] = parallel_tool_calls
                drop += [calls_field, tool_input]
            else:
                for key in TOOL_SETTINGS:
                    settings.pop(key, None)
                calls_field = None
    reasoning = tuple(name for name, annotation in fmt.outputs
                      if name not in drop and is_reasoning_type(annotation) and _reasons_natively(lm, settings))
    drop += reasoning
    if settings.get("parallel_tool_calls") is not None:
        settings.setdefault("tool_choice", "auto")
    if not drop:
        return fmt
    from dspex_native.adapters._native_calls import NativeFormat

    signature = fmt.signature
    inner = make_format(Signature._make({n: f for n, f in signature.input_fields.items() if n not in drop},
                                        {n: f for n, f in signature.output_fields.items() if n not in drop},
                                        signature.instructions))
    return NativeFormat(inner, calls_field, dict(fmt.outputs).get(calls_field), tuple(signature.output_fields),
                        fmt.output_defaults, {name: dict(fmt.outputs)[name] for name in reasoning})


def _reasons_natively(lm: Any, settings: dict[str, Any]) -> bool:
    """DSPy's ``Reasoning.adapt_to_native_lm_feature``: whether the field is answered natively
    (then ``settings`` get the effort)."""
    if "reasoning_effort" in settings:
        effort = settings["reasoning_effort"]
    else:
        effort = _defaults(lm).get("reasoning_effort", "low")
    if effort is None:
        return False
    if isinstance(lm, LM):
        raise CapabilityError(f"native adapters do not support {REASONING_ON_PROVIDER_LMS} ({lm.model!r}); pass "
                              "reasoning_effort=None or use implementation='dspy'")
    if not getattr(lm, "supports_reasoning", False):
        return False
    if "gpt-5" in str(getattr(lm, "model", "")) and getattr(lm, "model_type", "chat") == "chat":
        return False
    settings["reasoning_effort"] = effort
    return True


def _defaults(lm: Any) -> Mapping[str, Any]:
    """DSPy's ``lm.kwargs``: the LM's default request settings."""
    from dspex_native.lm.defaults import LMWithDefaults, default_settings

    if isinstance(lm, LM) or type(lm) is LMWithDefaults:
        return default_settings(lm)
    own = getattr(lm, "kwargs", None)
    return own if isinstance(own, Mapping) else {}
