"""Anthropic's Messages API as dspy 3.4 sends it through LiteLLM (``engine="litellm"``, or a
setting that sends dspy LiteLLM's way under ``"auto"``).

LiteLLM's Anthropic client posts to ``{api_base}/v1/messages`` (``https://api.anthropic.com`` by
default) with the same headers as dspy's own engine, and writes a body of its own: ``model``,
``messages`` (each turn's text as ``{"type": "text", "text": ...}`` blocks, consecutive turns of one
role merged), the settings as it maps them (``temperature`` as given, no clamp; ``top_p``;
``stop`` as ``stop_sequences``, a string as a one-item list; ``max_tokens`` or
``max_completion_tokens`` as ``max_tokens``), ``system`` as a list of text blocks, ``max_tokens``
when the call sets none (the model's output limit in LiteLLM's map, else its
``DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS``, 128000 unless that environment variable says otherwise) and ``top_k`` last;
``"stream": true`` for a streamed call (read by :class:`StreamReader`), else no ``stream``. Settings LiteLLM refuses
for Anthropic (``n`` above 1, ``seed``, the penalties, ...) are refused before sending by
:mod:`.litellm_rules`; other settings it rewrites (``response_format`` as a tool or an output
format, ``user`` as metadata, tools, thinking, ...) and message parts other than text are a
:class:`~dspex_core.CapabilityError`. The reply is read as :mod:`.wire_anthropic` reads it.
"""

from __future__ import annotations

import os
from typing import Any

from dspex_core.errors import CapabilityError

from dspex_native.lm import _wire_usage, wire_anthropic
from dspex_native.lm.engine import tables

NAME = "anthropic"
#: LiteLLM's base; its path is ``/v1/messages``
DEFAULT_BASE = "https://api.anthropic.com"
_SETTINGS = ("temperature", "top_p", "stop", "max_tokens", "max_completion_tokens", "top_k")

headers = wire_anthropic.headers


def parse(data: Any, found: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, Any] | None]:
    """The reply as :func:`.wire_anthropic.parse` reads it, its usage counted as LiteLLM counts it
    (:func:`litellm_usage`)."""
    completions, _ = wire_anthropic.parse(data, found)
    return completions, litellm_usage(data.get("usage"))


def litellm_usage(usage: Any) -> dict[str, Any] | None:
    """LiteLLM's token counts for a Messages ``usage`` (one reply's, or a stream event's): as dspy's
    own engine counts them (cache reads and writes in the prompt count), but a count left out is 0."""
    if not isinstance(usage, dict):
        return None
    return wire_anthropic.usage_of({"input_tokens": 0, "output_tokens": 0, **usage})


def base_url(given: str, model_name: str = "") -> str:
    """The base :func:`url` appends ``/messages`` to: ``{api_base}/v1`` (LiteLLM adds ``/v1/messages``
    to the base it is given), or dspy's default, which already ends in ``/v1``."""
    if given == wire_anthropic.DEFAULT_BASE:
        return given
    return f"{given}/v1"


def url(base: str, model_name: str) -> str:
    return f"{base}/messages"


def default_max_tokens(model_name: str) -> int:
    """LiteLLM's ``max_tokens`` for a request that sets none: the model's output limit in its map
    (``engine_routes.json``'s ``anthropic_max_tokens``), else ``DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS``
    (its environment variable, else 128000)."""
    table = tables()["litellm_rules"]["anthropic_max_tokens"]
    found = table["models"].get(model_name)
    if found is not None:
        return found
    value = os.getenv("DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS")
    try:
        return int(value) if value else table["default"]
    except ValueError:
        return table["default"]


def shape(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``(the call's settings, one request)``; a setting LiteLLM rewrites in a way not built here
    is a :class:`CapabilityError` (those it refuses were refused before, by :mod:`.litellm_rules`)."""
    for key, value in request.items():
        if key not in _SETTINGS and key not in ("n", "num_generations", "rollout_id") and value is not None:
            raise CapabilityError(f"the native LM client does not write {key!r} as LiteLLM writes it for Anthropic "
                                  f"(engine='litellm'); use the dspy backend, or dspy's own engine")
    return {k: v for k, v in request.items() if k in _SETTINGS and v is not None}, 1


def _blocks(role: str, content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return [{"type": "text", "text": p.get("text")} for p in content]
    raise CapabilityError(f"the native LM client does not write {role} message parts other than text as LiteLLM "
                          f"writes them for Anthropic (engine='litellm'); use the dspy backend")


def body(request: dict[str, Any]) -> dict[str, Any]:
    """The Messages request LiteLLM writes for an OpenAI-style one."""
    messages = request["messages"]
    system: list[dict[str, Any]] = []
    start = 0
    while start < len(messages) and messages[start].get("role") == "system":  # the leading system run
        system.extend(_blocks("system", messages[start].get("content")))
        start += 1
    turns: list[dict[str, Any]] = []
    for message in messages[start:]:
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise CapabilityError(f"the native LM client does not write a {role!r} message after the first as "
                                  f"LiteLLM writes it for Anthropic (engine='litellm'); use the dspy backend")
        blocks = _blocks(role, message.get("content"))
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    out: dict[str, Any] = {"model": request["model"], "messages": turns}
    for key in ("temperature", "top_p", "stop", "max_tokens", "max_completion_tokens"):
        if key in request:
            if key == "stop":
                stop = request["stop"]
                out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
            else:
                out["max_tokens" if key == "max_completion_tokens" else key] = request[key]
    if system:
        out["system"] = system
    if "max_tokens" not in out:
        out["max_tokens"] = default_max_tokens(request["model"])
    if "top_k" in request:
        out["top_k"] = request["top_k"]
    if request.get("stream") is True:
        out["stream"] = True
    return out


class StreamReader(wire_anthropic.StreamReader):
    """A streamed Messages reply (``"stream": true``) as LiteLLM reads its events: text and tool
    use blocks as :class:`.wire_anthropic.StreamReader` reads them, thinking kept as reasoning; but the
    reply ends with ``message_delta`` (LiteLLM's finish reason: a stream cut before it fails, with
    or without ``message_stop``), and the usage is ``message_start``'s counts updated by
    ``message_delta``'s, folded as LiteLLM folds a stream's (:class:`._wire_usage.StreamedCounts`)."""

    def __init__(self) -> None:
        super().__init__()
        self._start: dict[str, Any] = {}
        self._counts = _wire_usage.StreamedCounts()

    def event(self, event: dict[str, Any]) -> list[str]:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") if isinstance(event.get("message"), dict) else {}
            if isinstance(message.get("usage"), dict):
                self._start = message["usage"]
                self._count(self._start)
        elif kind == "message_delta":
            usage = event.get("usage")
            if isinstance(usage, dict):
                self._count({**self._start, **usage})
            self.ended = True
        elif kind != "message_stop":  # (LiteLLM reads on to the body's end)
            return super().event(event)
        return []

    def _count(self, usage: dict[str, Any]) -> None:
        self._counts.add(litellm_usage(usage))
        self.usage = self._counts.usage
