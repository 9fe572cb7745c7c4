"""``tools``, ``tool_choice`` and ``parallel_tool_calls`` on LiteLLM's route, as its OpenAI-style
provider configs send them.

LiteLLM's ``completion`` checks a dict ``tool_choice`` (``{"type": "auto"}`` is sent as ``"auto"``,
a ``function`` choice without its function is refused: ``validate_chat_completion_tool_choice``),
and its OpenAI config leaves ``tool_choice`` out of a request without tools (an empty list
included). Its provider configs then differ:

* ``openai``: a tool's ``parameters`` lose the regexes Python cannot compile and, at OpenAI's own
  host, their top-level combinators (``_sanitized_tools_update_for_openai``): native refuses those
  tools rather than rewrite them;
* ``xai``: every ``strict`` key is taken out of the tools (native refuses tools with one) and an
  empty list is not sent;
* ``together_ai``: the tool settings of a model its map says cannot call functions are refused;
* ``deepseek``, ``hosted_vllm``: function tools go as given;
* the others (Mistral's ``tool_choice`` spellings, Moonshot's message for ``"required"``,
  Fireworks' and Groq's rewrites, OpenRouter's, Ollama's prompt tools, ...) are not built natively: a
  :class:`~dspex_core.CapabilityError` naming the provider.

A tool that is not a plain function tool (``cache_control`` marks, other tool types) is refused
too. :func:`apply` runs on the request before it is sent (after :mod:`.litellm_rules`).
"""

from __future__ import annotations

import re
from typing import Any

from dspex_core.errors import CapabilityError, ConfigError

#: the providers whose LiteLLM config for tools is built here
BUILT = frozenset({"openai", "xai", "together_ai", "deepseek", "hosted_vllm"})
_KEYS = ("tools", "tool_choice", "parallel_tool_calls")
_COMBINATORS = ("oneOf", "anyOf", "allOf", "enum", "const", "not")


def _refuse(provider: str, why: str) -> CapabilityError:
    return CapabilityError(f"the native LM client does not write {why} as LiteLLM does for {provider}/ on its route "
                           f"(engine='litellm', or a model dspy sends through LiteLLM); use the dspy backend")


def _walk_keys(value: Any):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_keys(item)


def _regex_ok(pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return True
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _check_tools(provider: str, tools: list[Any], api_base: str | None) -> None:
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict) or not tool.keys() <= {"type", "function"}:
            raise _refuse(provider, f"the tool {tool!r} (only function tools are built)")
        for key, item in _walk_keys(tool):
            if key == "cache_control":
                raise _refuse(provider, "tools with cache_control marks")
            if key == "pattern" and not _regex_ok(item) or key == "patternProperties" and isinstance(item, dict) \
                    and not all(map(_regex_ok, item)):
                raise _refuse(provider, "tool parameters with a regex Python cannot compile")
            if key == "strict" and provider == "xai":  # LiteLLM takes every such key out, property names included
                raise _refuse(provider, "tools with a 'strict' key")
        parameters = function.get("parameters")
        if provider == "openai" and isinstance(parameters, dict) and any(k in parameters for k in _COMBINATORS) \
                and "api.openai.com" in (api_base or ""):
            raise _refuse(provider, "tool parameters with top-level combinators (oneOf, anyOf, enum, ...)")


def _can_call(provider: str, model: str) -> bool:
    """LiteLLM's ``supports_function_calling`` for the model (its recorded answer)."""
    from dspex_native.adapters._json_support import litellm_function_calling

    return litellm_function_calling(provider, model)


def apply(model: str, request: dict[str, Any], api_base: str | None) -> None:
    """``request`` (the body's settings) as LiteLLM sends its tool settings for ``model``
    (``provider/name``, or a bare OpenAI name) at ``api_base`` (where the request goes)."""
    if not any(request.get(key) is not None for key in _KEYS):
        return
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    if provider not in BUILT:
        raise _refuse(provider, "tools, tool_choice or parallel_tool_calls")
    if provider == "together_ai" and any(request.get(k) is not None for k in ("tools", "tool_choice")) \
            and not _can_call(provider, model):
        raise CapabilityError(f"LiteLLM's map does not say whether {model!r} can call functions (or says it "
                              f"cannot); the native LM client does not send tools to it; use the dspy backend")
    choice = request.get("tool_choice")
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("auto", "none", "required") and "function" not in choice:
            request["tool_choice"] = kind
        elif kind == "function" and choice.get("function") is None:
            raise ConfigError(f"Invalid tool choice, tool_choice={choice}. Please ensure tool_choice follows the "
                              f"OpenAI spec (LiteLLM refuses it, as dspy does)")
        elif kind != "function":
            raise _refuse(provider, f"tool_choice={choice!r}")
    elif choice is not None and not isinstance(choice, str):
        raise ConfigError(f"Invalid tool choice, tool_choice={choice!r}: expecting a string or a dict (LiteLLM "
                          f"refuses it, as dspy does)")
    tools = request.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _refuse(provider, f"tools={tools!r} (a list of function tools is built)")
        _check_tools(provider, tools, api_base)
        if provider == "xai" and not tools:
            del request["tools"]
    if not request.get("tools") and "tool_choice" in request:
        del request["tool_choice"]
