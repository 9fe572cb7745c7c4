"""Anthropic's Messages API, written and read as dspy 3.4's own engine (lm15) does.

``dspy.LM("anthropic/claude-...")`` sends ``POST {base}/messages`` (base
``https://api.anthropic.com/v1`` or ``api_base=``) with ``x-api-key`` and
``anthropic-version: 2023-06-01``; the body is ``model``, ``messages`` (each turn's text as
``{"type": "text", "text": ...}`` blocks, a system or developer message after the first as a user
turn starting ``"[developer]\\n"``), ``"stream": false``, ``max_tokens`` (required by the API: the
call's, else lm15's default for the model class: 4096 for Claude 3 Haiku/Opus/Sonnet, 8192 for
Claude 3.5, 16384 otherwise), ``system`` (the first message, when a system message), then
``temperature`` (clamped to 1.0, the API's ceiling), ``top_p``, ``top_k`` and ``stop_sequences``.
``seed``, ``frequency_penalty`` and ``presence_penalty`` have no field here and are dropped. A
``json_schema`` response format is ``output_config: {"format": {"type": "json_schema", "schema": ...}}``
(``json_object`` has no equivalent: dspy sends it LiteLLM's way, not built natively).

A reply's text is its text blocks, concatenated as dspy reads them (thinking blocks left out);
its usage counts cached input in the prompt tokens, as dspy reports it.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import CapabilityError

from dspex_native.lm import _wire_input

NAME = "anthropic"
DEFAULT_BASE = "https://api.anthropic.com/v1"
API_VERSION = "2023-06-01"

#: lm15's ``max_tokens`` when the call sets none, by model class (the first marker found wins).
_DEFAULT_MAX_TOKENS_BY_CLASS = (("claude-3-haiku", 4096), ("claude-3-opus", 4096), ("claude-3-sonnet", 4096),
                                ("claude-3-5-", 8192), ("claude-3.5-", 8192))
DEFAULT_MAX_TOKENS = 16384


def default_max_tokens(model_name: str) -> int:
    lowered = model_name.lower()
    for marker, ceiling in _DEFAULT_MAX_TOKENS_BY_CLASS:
        if marker in lowered:
            return ceiling
    return DEFAULT_MAX_TOKENS


def url(base_url: str, model_name: str) -> str:
    return f"{base_url}/messages"


def headers(api_key: str | None) -> dict[str, str]:
    """The request's headers, in lm15's order (the key last, as its auth policy adds it)."""
    out = {"anthropic-version": API_VERSION, "content-type": "application/json"}
    if api_key:
        out["x-api-key"] = api_key
    return out


def shape(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    return _wire_input.shape(NAME, request)


def body(request: dict[str, Any]) -> dict[str, Any]:
    """The Messages request for an OpenAI-style one (``model``, ``messages`` and the settings
    :func:`shape` made)."""
    system, turns = _wire_input.split_messages(NAME, request["messages"])
    settings = request
    wire_messages = []
    for role, texts in turns:
        if role == "developer":
            blocks = [{"type": "text", "text": "[developer]\n" + "\n".join(texts)}]
        else:
            blocks = [{"type": "text", "text": text} for text in texts]
        wire_messages.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    max_tokens = settings.get("max_tokens")
    model_name = request["model"]
    out: dict[str, Any] = {"model": model_name, "messages": wire_messages, "stream": False,
                           "max_tokens": default_max_tokens(model_name) if max_tokens is None else max_tokens}
    if system:
        out["system"] = system
    if "temperature" in settings:
        out["temperature"] = min(settings["temperature"], 1.0)
    for key in ("top_p", "top_k"):
        if key in settings:
            out[key] = settings[key]
    if "stop" in settings:
        out["stop_sequences"] = settings["stop"]
    fmt = settings.get("response_format")
    if fmt is not None:
        if fmt["type"] == "json_object":  # no any-JSON mode: lm15 refuses it, and dspy goes LiteLLM's way
            raise CapabilityError("the native LM client does not write LiteLLM's Anthropic requests, where dspy "
                                  "sends response_format json_object for Anthropic; use the dspy backend")
        out["output_config"] = {"format": {"type": "json_schema", "schema": fmt["schema"]}}
    return out


def parse(data: Any) -> tuple[list[str], dict[str, int] | None]:
    """``([the reply's text], usage in the client's shape)``; ``KeyError``/``TypeError`` when
    ``data`` is not a Messages response."""
    blocks = data["content"]
    if not isinstance(blocks, list):
        raise TypeError("content is not a list")
    texts = [str(b.get("text") or "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    return ["".join(texts)], _usage(data.get("usage"))


def _usage(usage: Any) -> dict[str, int] | None:
    """dspy's usage for a Messages response: cache reads and writes count as prompt tokens."""
    if not isinstance(usage, dict):
        return None
    inputs, outputs = usage.get("input_tokens"), usage.get("output_tokens")
    if not isinstance(inputs, int) or not isinstance(outputs, int):
        return None
    inputs += (usage.get("cache_read_input_tokens") or 0) + (usage.get("cache_creation_input_tokens") or 0)
    return {"prompt_tokens": inputs, "completion_tokens": outputs, "total_tokens": inputs + outputs}
