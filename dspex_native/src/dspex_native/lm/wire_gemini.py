"""Google's Gemini API (GenerateContent), written and read as dspy 3.4's own engine (lm15) does.

``dspy.LM("gemini/gemini-...")`` sends ``POST {base}/models/{model}:generateContent`` (base
``https://generativelanguage.googleapis.com/v1beta`` or ``api_base=``) with ``x-goog-api-key``;
the body is ``contents`` (turns as ``{"role": "user"|"model", "parts": [{"text": ...}]}``, a user's
images, files and audio as ``{"fileData": {"mimeType", "fileUri"}}`` for a URL or a file id and
``{"inlineData": {"mimeType", "data"}}`` for data, a system or developer message after the first as a user turn starting
``"[developer]\\n"``), then
``systemInstruction`` (the first message, when a system message) and ``generationConfig`` when
any setting is given: ``temperature``, ``maxOutputTokens``, ``topP``, ``topK``, ``seed``,
``frequencyPenalty``, ``presencePenalty``, ``stopSequences``, in that order, integral floats
written as integers (Gemini's proto3 JSON form), then a response format's ``responseMimeType``
(``application/json``) and schema (``responseJsonSchema`` when it uses ``additionalProperties``,
else ``responseSchema``).

Function tools are ``tools: [{"functionDeclarations": [{"name", "description", "parameters"}]}]``
and the tool choice ``toolConfig: {"functionCallingConfig": {"mode", "allowedFunctionNames"?}}``
(``parallel_tool_calls`` has no field and is dropped, as lm15 drops it).

A reply's text is the first candidate's text parts (thoughts are its reasoning), concatenated as dspy
reads them, and its ``functionCall`` parts its tool calls (a streamed call goes to
``:streamGenerateContent?alt=sse`` and reads the events: :class:`StreamReader`); a
blocked prompt or candidate (``promptFeedback.blockReason``, a safety ``finishReason``) is an
error, as in lm15. Usage: prompt tokens, candidates' plus thoughts' tokens, the total as reported.
"""

from __future__ import annotations

import json
from typing import Any

from dspex_native.lm import _judgments, _wire_input, _wire_usage
from dspex_native.lm._stream_reply import StreamedReply, StreamFailed, event_object, legacy_completion

NAME = "gemini"
DEFAULT_BASE = "https://generativelanguage.googleapis.com/v1beta"

#: ``finishReason`` values lm15 turns into an error rather than a reply.
BLOCKED_FINISH = frozenset({"SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                            "MALFORMED_FUNCTION_CALL", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"})

#: OpenAI-style setting -> generationConfig field, in the order lm15 writes them.
_CONFIG_FIELDS = (("temperature", "temperature"), ("max_tokens", "maxOutputTokens"), ("top_p", "topP"),
                  ("top_k", "topK"), ("seed", "seed"), ("frequency_penalty", "frequencyPenalty"),
                  ("presence_penalty", "presencePenalty"), ("stop", "stopSequences"))


def url(base_url: str, model_name: str) -> str:
    return f"{base_url}/models/{model_name}:generateContent"


def stream_url(base_url: str, model_name: str) -> str:
    """Where a streamed call goes: the streaming method, its events as server-sent events."""
    return f"{base_url}/models/{model_name}:streamGenerateContent?alt=sse"


def headers(api_key: str | None) -> dict[str, str]:
    out = {"Content-Type": "application/json"}
    if api_key:
        out["x-goog-api-key"] = api_key
    return out


def shape(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    return _wire_input.shape(NAME, request)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def body(request: dict[str, Any]) -> dict[str, Any]:
    """The GenerateContent request for an OpenAI-style one (``model``, ``messages`` and the settings
    :func:`shape` made)."""
    system, turns = _wire_input.split_messages(NAME, request["messages"])
    settings = request
    contents = []
    for role, parts in turns:
        if role == "developer":
            contents.append({"role": "user", "parts": [{"text": "[developer]\n" + "\n".join(parts)}]})
        else:
            contents.append({"role": "model" if role == "assistant" else "user",
                             "parts": [_part(part) for part in parts]})
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": [{"text": system}]}
    config = {field: _number(settings[key]) for key, field in _CONFIG_FIELDS if key in settings}
    fmt = settings.get("response_format")
    if fmt is not None:
        config["responseMimeType"] = "application/json"
        if fmt["type"] == "json_schema":
            schema = _judgments.gemini_schema(fmt["schema"], _judgments.judgments(fmt))
            # responseSchema is Gemini's OpenAPI subset; a schema with additionalProperties needs the other
            field = "responseJsonSchema" if _mentions(schema, "additionalProperties") else "responseSchema"
            config[field] = schema
    if config:
        out["generationConfig"] = config
    tools = settings.get("tools")
    if tools:
        out["tools"] = [{"functionDeclarations": [
            {"name": t["function"]["name"], "description": t["function"]["description"],
             "parameters": t["function"]["parameters"]} for t in tools]}]
    if "tool_choice" in settings or "parallel_tool_calls" in settings:
        choice = _wire_input.tool_choice(NAME, settings)
        if choice is not None:
            out["toolConfig"] = _tool_config(choice)
    return out


def _part(part: Any) -> dict[str, Any]:
    """A text part, or media (an image, a file, audio) as lm15 writes it: ``fileData`` for a URL or a
    file id, ``inlineData`` for data."""
    if isinstance(part, str):
        return {"text": part}
    if part.url is not None or part.file_id is not None:
        return {"fileData": {"mimeType": part.media_type, "fileUri": part.url or part.file_id}}
    return {"inlineData": {"mimeType": part.media_type, "data": part.data}}


def _tool_config(choice: tuple[str, tuple[str, ...], Any]) -> dict[str, Any]:
    """lm15's ``_tool_config_payload``: the mode (``VALIDATED`` for auto restricted to some tools)
    and the allowed names; ``parallel_tool_calls`` has no field here and is dropped."""
    mode, allowed, _ = choice
    config: dict[str, Any] = {"mode": {"none": "NONE", "required": "ANY", "auto": "AUTO"}[mode]}
    if allowed:
        config["allowedFunctionNames"] = list(allowed)
        if mode == "auto":
            config["mode"] = "VALIDATED"
    return {"functionCallingConfig": config}


def _mentions(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_mentions(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, key) for v in value)
    return False


def parse(data: Any, found: dict[str, Any] | None = None) -> tuple[list[str], dict[str, int] | None]:
    """``([the reply's text], usage in the client's shape)``; ``Refused`` for a blocked
    answer, ``KeyError``/``TypeError`` when ``data`` is not a GenerateContent response. With the
    judgments the request declared (``found``: :mod:`._judgments`) a JSON answer's text is lm15's."""
    if not isinstance(data, dict):
        raise TypeError("not an object")
    blocked = _blocked(data)
    if blocked is not None:
        raise _wire_input.Refused(blocked)
    candidate = (data.get("candidates") or [{}])[0]
    candidate = candidate if isinstance(candidate, dict) else {}
    content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
    parts = content.get("parts") or []
    texts = [str(p.get("text") or "") for p in parts if isinstance(p, dict) and "text" in p and not p.get("thought")]
    thoughts = [str(p.get("text") or "") for p in parts if isinstance(p, dict) and "text" in p and p.get("thought")]
    answer = _judgments.answer_text(texts, found or {})
    texts = texts if answer is None else [answer]
    return [legacy_completion(texts, thoughts, _calls(parts))], usage_of(data.get("usageMetadata"))


def _blocked(data: dict[str, Any]) -> str | None:
    """lm15's message for a blocked prompt or first candidate, or ``None``."""
    feedback = data.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason") not in (None, "", "BLOCK_REASON_UNSPECIFIED"):
        return f"Prompt blocked: {feedback['blockReason']}"
    candidate = (data.get("candidates") or [{}])[0]
    candidate = candidate if isinstance(candidate, dict) else {}
    finish = str(candidate.get("finishReason") or "")
    if finish in BLOCKED_FINISH:
        return str(candidate.get("finishMessage") or "") or f"Candidate blocked: {finish}"
    return None


def _calls(parts: list[Any]) -> list[dict[str, Any]]:
    """The parts' ``functionCall`` entries as lm15 reads them and dspy hands them on: ``{"id",
    "type": "function", "function": {"name", "arguments": JSON text}}``, a missing id
    ``tool_call_<its place among the parts read>``."""
    calls, read = [], 0
    for part in parts:
        if not isinstance(part, dict):
            continue
        if "text" in part:
            read += 1
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            if not call.get("name"):
                raise ValueError("a functionCall part without a name")
            arguments = call.get("args") if isinstance(call.get("args"), dict) else {}
            calls.append({"id": str(call.get("id") or f"tool_call_{read}"), "type": "function",
                          "function": {"name": str(call["name"]), "arguments": json.dumps(arguments)}})
            read += 1
    return calls


def usage_of(usage: Any) -> dict[str, Any] | None:
    """dspy's usage for a GenerateContent response's ``usageMetadata``: thoughts count as completion
    tokens; an absent prompt or candidates count inside it is 0 (proto3 JSON omits zeros)."""
    if not isinstance(usage, dict) or not usage:
        return None
    return _wire_usage.openai_usage(
        NAME, inputs=usage.get("promptTokenCount", 0), outputs=usage.get("candidatesTokenCount", 0),
        total=usage.get("totalTokenCount"), cache_read=usage.get("cachedContentTokenCount"),
        reasoning=usage.get("thoughtsTokenCount"), input_audio=_audio(usage.get("promptTokensDetails")),
        output_audio=_audio(usage.get("candidatesTokensDetails")))


def _audio(details: Any) -> int | None:
    """The ``AUDIO`` entries' token counts of a modality breakdown, summed (unknown without one)."""
    if not isinstance(details, list):
        return None
    counts = [e.get("tokenCount", 0) for e in details if isinstance(e, dict) and e.get("modality") == "AUDIO"]
    return sum(counts) if counts else None


class StreamReader(StreamedReply):
    """A streamed GenerateContent reply (``alt=sse``), read as lm15 reads its events: each event's
    first candidate's text parts (thoughts kept as the reply's reasoning) and ``functionCall`` parts (each a piece of the
    call at its place in the event's parts, as lm15 reads it), the usage of the event that ends the
    reply (the one with a ``finishReason``, or one with ``usageMetadata`` and no part); a blocked
    prompt or candidate, or an ``error``, fails the call."""

    def read(self, data: str) -> list[str]:
        event = event_object(data)
        if "error" in event:
            error = event["error"] if isinstance(event["error"], dict) else {}
            raise StreamFailed(f"the server ended the stream with an error: {error.get('message') or event['error']}")
        blocked = _blocked(event)
        if blocked is not None:
            raise StreamFailed(blocked)
        candidates = event.get("candidates") or []
        candidate = candidates[0] if candidates and isinstance(candidates[0], dict) else None
        texts: list[str] = []
        delta = False
        if candidate is not None:
            content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
            for index, part in enumerate(content.get("parts") or []):
                if not isinstance(part, dict):
                    continue
                if "text" in part:
                    delta = True
                    if not part.get("thought"):
                        texts += self.text(index, str(part.get("text") or ""))
                    else:
                        self.reasoning.append(str(part.get("text") or ""))
                elif isinstance(part.get("functionCall"), dict):
                    delta = True
                    call = part["functionCall"]
                    self.call_piece(index, call.get("id"), call.get("name"),
                                    json.dumps(call.get("args", {}), separators=(",", ":")))
                elif "inlineData" in part:
                    raise StreamFailed("the streamed reply holds media, which is not read natively while streaming")
        if (candidate is not None and candidate.get("finishReason")) or (not delta and "usageMetadata" in event):
            self.usage = usage_of(event.get("usageMetadata"))
            self.ended = True
        return texts
