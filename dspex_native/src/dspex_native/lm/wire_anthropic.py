"""Anthropic's Messages API, written and read as dspy 3.4's own engine (lm15) does.

``dspy.LM("anthropic/claude-...")`` sends ``POST {base}/messages`` (base
``https://api.anthropic.com/v1`` or ``api_base=``) with ``x-api-key`` and
``anthropic-version: 2023-06-01``; the body is ``model``, ``messages`` (each turn's text as
``{"type": "text", "text": ...}`` blocks, a user's images and files as ``{"type": "image" |
"document", "source": ...}`` with a ``url``, ``file`` (an id) or ``base64`` source, audio as an empty
text block (lm15 has no Anthropic block for it), a system or developer message after the first as a user
turn starting ``"[developer]\\n"``), ``"stream": false``, ``max_tokens`` (required by the API: the
call's, else lm15's default for the model class: 4096 for Claude 3 Haiku/Opus/Sonnet, 8192 for
Claude 3.5, 16384 otherwise), ``system`` (the first message, when a system message), then
``temperature`` (clamped to 1.0, the API's ceiling), ``top_p``, ``top_k`` and ``stop_sequences``.
``seed``, ``frequency_penalty`` and ``presence_penalty`` have no field here and are dropped. A
``json_schema`` response format is ``output_config: {"format": {"type": "json_schema", "schema": ...}}``
(``json_object`` has no equivalent: dspy sends it LiteLLM's way, not built natively). Function
tools are ``tools: [{"name", "description", "input_schema"}]`` and the tool choice ``tool_choice:
{"type": "auto" | "any" | "tool" | "none", "name"?, "disable_parallel_tool_use"?}`` (a choice of
some of the tools sends only those); a reply's ``tool_use`` blocks are its tool calls.

A reply's text is its text blocks, concatenated as dspy reads them (thinking blocks left out);
its usage counts cached input in the prompt tokens, as dspy reports it. A streamed call sends
``"stream": true`` and reads the reply's events (:class:`StreamReader`).
"""

from __future__ import annotations

import json
from typing import Any

from dspex_core.errors import CapabilityError

from dspex_native.lm import _judgments, _wire_input, _wire_usage
from dspex_native.lm._stream_reply import StreamedReply, StreamFailed, event_object, legacy_completion

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
    for role, parts in turns:
        if role == "developer":
            blocks = [{"type": "text", "text": "[developer]\n" + "\n".join(parts)}]
        else:
            blocks = [_block(part) for part in parts]
        wire_messages.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    max_tokens = settings.get("max_tokens")
    model_name = request["model"]
    out: dict[str, Any] = {"model": model_name, "messages": wire_messages, "stream": request.get("stream") is True,
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
    choice = _wire_input.tool_choice(NAME, settings) if "tool_choice" in settings or \
        "parallel_tool_calls" in settings else None
    tools = settings.get("tools")
    if tools:
        subset = _allowed_subset(choice, tools)
        out["tools"] = [{"name": t["function"]["name"], "description": t["function"]["description"],
                         "input_schema": t["function"]["parameters"]}
                        for t in tools if subset is None or t["function"]["name"] in subset]
    if choice is not None:
        out["tool_choice"] = _tool_choice(choice)
    fmt = settings.get("response_format")
    if fmt is not None:
        if fmt["type"] == "json_object":  # no any-JSON mode: lm15 refuses it, and dspy goes LiteLLM's way
            raise CapabilityError("the native LM client does not write LiteLLM's Anthropic requests, where dspy "
                                  "sends response_format json_object for Anthropic; use the dspy backend")
        schema = _judgments.anthropic_schema(fmt["schema"], _judgments.judgments(fmt))
        out["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    return out


def _block(part: Any) -> dict[str, Any]:
    """A text block, or an image or document block with lm15's ``anthropic_source`` (a URL, a file
    id, or base64 data). lm15 has no Anthropic block for audio: it writes an empty text block."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if part.kind == "audio":
        return {"type": "text", "text": ""}
    if part.url is not None:
        source = {"type": "url", "url": part.url}
    elif part.file_id is not None:
        source = {"type": "file", "file_id": part.file_id}
    else:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
    return {"type": part.kind, "source": source}


def _allowed_subset(choice: Any, tools: list[dict[str, Any]]) -> tuple[str, ...] | None:
    """lm15's ``_allowed_subset``: the Messages API cannot restrict the model to some of the tools,
    so a choice naming a proper subset (other than one tool, required) sends only those."""
    if choice is None or choice[0] == "none" or not choice[1]:
        return None
    mode, allowed, _ = choice
    if len(allowed) == 1 and mode == "required":
        return None
    if set(allowed) == {t["function"]["name"] for t in tools}:
        return None
    return allowed


def _tool_choice(choice: tuple[str, tuple[str, ...], Any]) -> dict[str, Any]:
    """lm15's ``_tool_choice_payload`` for Anthropic (``disable_parallel_tool_use`` when parallel
    calls are off)."""
    mode, allowed, parallel = choice
    if mode == "none":
        return {"type": "none"}
    if allowed and len(allowed) == 1 and mode == "required":
        payload: dict[str, Any] = {"type": "tool", "name": allowed[0]}
    else:
        payload = {"type": "any" if mode == "required" else "auto"}
    if parallel is False:
        payload["disable_parallel_tool_use"] = True
    return payload


def parse(data: Any, found: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, int] | None]:
    """``([the reply's completion], usage in the client's shape)``: its text, or ``{"text",
    "reasoning_content"?, "tool_calls"?}`` when it holds thinking (its text kept) or ``tool_use``
    blocks, read as lm15 reads them and dspy hands them
    on (``{"id", "type": "function", "function": {"name", "arguments": JSON text}}``, a missing id
    ``tool_<its place among the reply's parts>``; the text ``None`` when there is no text block);
    ``KeyError``/``TypeError`` when ``data`` is not a Messages response. With the judgments the
    request declared (``found``: :mod:`._judgments`) a JSON answer's text is lm15's."""
    blocks = data["content"]
    if not isinstance(blocks, list):
        raise TypeError("content is not a list")
    texts, thoughts, calls, parts = [], [], [], 0
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
            parts += 1 + len([c for c in block.get("citations") or () if isinstance(c, dict)])
        elif kind == "tool_use":
            if not block.get("name"):
                raise ValueError("a tool_use block without a name")
            arguments = block.get("input") if isinstance(block.get("input"), dict) else {}
            calls.append({"id": str(block.get("id") or f"tool_{parts}"), "type": "function",
                          "function": {"name": str(block["name"]), "arguments": json.dumps(arguments)}})
            parts += 1
        elif kind in ("thinking", "redacted_thinking"):
            thoughts.append(str(block.get("thinking") or "") if kind == "thinking" else "")
            parts += 1
    answer = _judgments.answer_text(texts, found or {})
    texts = texts if answer is None else [answer]
    return [legacy_completion(texts, thoughts, calls)], usage_of(data.get("usage"))


def usage_of(usage: Any) -> dict[str, Any] | None:
    """dspy's usage for a Messages response's (or a stream's ``message_delta``) ``usage``: cache
    reads and writes count as prompt tokens (:mod:`._wire_usage`)."""
    if not isinstance(usage, dict):
        return None
    details = usage.get("output_tokens_details")
    thinking = details.get("thinking_tokens") if isinstance(details, dict) else None
    return _wire_usage.openai_usage(NAME, inputs=usage.get("input_tokens"), outputs=usage.get("output_tokens"),
                                    cache_read=usage.get("cache_read_input_tokens"),
                                    cache_write=usage.get("cache_creation_input_tokens"), reasoning=thinking)


def _index(event: dict[str, Any]) -> int:
    try:
        return int(event.get("index", 0) or 0)
    except (TypeError, ValueError):
        return 0


class StreamReader(StreamedReply):
    """A streamed Messages reply (``"stream": true``), read as lm15 reads its events: the text of
    ``text_delta``s by content block, a ``tool_use`` block's id and name and its
    ``input_json_delta`` fragments, the usage of ``message_delta`` (the output count only, as the
    API sends it there; ``message_start``'s input count is not read), ``message_stop`` last;
    thinking kept as the reply's reasoning (not handed on); an ``error`` event fails the call."""

    def read(self, data: str) -> list[str]:
        return self.event(event_object(data))

    def event(self, event: dict[str, Any]) -> list[str]:
        """The pieces of text one event carries (a :class:`StreamFailed` for an ``error`` event)."""
        kind = event.get("type")
        index = _index(event)
        if kind == "content_block_delta":
            delta = event.get("delta") if isinstance(event.get("delta"), dict) else {}
            if delta.get("type") == "text_delta":
                return self.text(index, str(delta.get("text") or ""))
            if delta.get("type") == "thinking_delta":
                self.reasoning.append(str(delta.get("thinking") or ""))
            if delta.get("type") == "input_json_delta":
                self.call_piece(index, None, None, str(delta.get("partial_json") or ""))
        elif kind == "content_block_start":
            block = event.get("content_block") if isinstance(event.get("content_block"), dict) else {}
            if block.get("type") == "tool_use":  # its input {} is a placeholder: the arguments come as deltas
                start = block.get("input")
                fragment = json.dumps(start, separators=(",", ":")) if isinstance(start, dict) and start else \
                    "" if isinstance(start, dict) else str(start or "")
                self.call_piece(index, block.get("id"), block.get("name"), fragment)
        elif kind == "message_delta":
            delta = event.get("delta") if isinstance(event.get("delta"), dict) else {}
            usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
            if usage:
                self.usage = usage_of(usage)
            self.ended = self.ended or bool(usage) or delta.get("stop_reason") is not None
        elif kind == "message_stop":
            self.ended = self.done = True
        elif kind == "error":
            error = event.get("error") if isinstance(event.get("error"), dict) else {}
            raise StreamFailed(f"the server ended the stream with an error: {error.get('message') or error}")
        return []
