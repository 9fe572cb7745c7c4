"""A streamed reply's events read as they arrive: the text parts, the usage, where the reply ends.

:class:`StreamedReply` holds what dspy's own engine (lm15) accumulates from a stream: the text of
each part by its index in the reply, the usage of the last event that reported it, and whether an
event that ends the reply came. Each wire reads its own events into it: OpenAI's chat-completion
chunks here (:class:`ChatStream`), Anthropic's and Gemini's in their wire modules
(``StreamReader``). :mod:`.streaming` sends the call and hands each event's ``data`` to the reader.
"""

from __future__ import annotations

import json
from typing import Any

from dspex_native.lm import _judgments


class StreamFailed(Exception):
    """The server ended a stream with an ``error`` event, or sent something that is not one."""


def event_object(data: str) -> dict[str, Any]:
    """An event's JSON object; a :class:`StreamFailed` for one that is not JSON or not an object."""
    try:
        event = json.loads(data)
    except ValueError:
        raise StreamFailed(f"the stream sent an event that is not JSON: {data[:200]!r}") from None
    if not isinstance(event, dict):
        raise StreamFailed(f"the stream sent an event that is not an object: {data[:200]!r}")
    return event


def legacy_completion(texts: list[str], thoughts: list[str], calls: list[dict[str, Any]]) -> Any:
    """A reply's completion as dspy hands it on (lm15's ``legacy_output``): its text alone, or
    ``{"text", "reasoning_content"?, "tool_calls"?}`` when it holds reasoning (the thoughts joined,
    when any has text) or function calls, the text ``None`` when it has no text part."""
    reasoning = "".join(thoughts)
    if not calls and not reasoning:
        return "".join(texts)
    out: dict[str, Any] = {"text": "".join(texts) if texts else None}
    if reasoning:
        out["reasoning_content"] = reasoning
    if calls:
        out["tool_calls"] = calls
    return out


def _constant(value: str) -> None:
    raise ValueError(f"non-standard JSON constant: {value}")


def _arguments(raw: str) -> dict[str, Any]:
    """A streamed call's arguments as lm15 reads them (``_parse_json_best_effort``): an object, a
    JSON value under ``value``, text that is not JSON (``NaN`` included) under ``partial_json``."""
    if not raw:
        return {}
    try:
        value = json.loads(raw, parse_constant=_constant)
    except ValueError:
        return {"partial_json": raw}
    return value if isinstance(value, dict) else {"value": value}


class StreamedReply:
    """A streamed reply read so far, as dspy's own engine (lm15) accumulates one: the text of each
    part (by its index in the reply), the usage of the last event that reported it, and whether
    the reply's last event was read (``done``: later events are skipped, the body still read to its
    end so that the connection is kept). A subclass reads one wire's events (:meth:`read`)."""

    def __init__(self) -> None:
        self.parts: dict[int, list[str]] = {}
        self.usage: Any = None
        #: whether an event that ends the reply was read (a stream that stops before one failed)
        self.ended = False
        self.done = False
        #: the token logprobs entries of the text events, in order (OpenAI's chunks carry them)
        self.token_logprobs: list[Any] = []
        #: function calls by their index: ``{"id", "name", "raw"}`` (the arguments' text so far)
        self.calls: dict[int, dict[str, Any]] = {}
        #: the reply's reasoning, as its pieces came (kept, not handed on)
        self.reasoning: list[str] = []
        #: whether an event carried a text field, empty or not (LiteLLM's builder then has a text)
        self.texted = False

    def read(self, data: str) -> list[str]:
        """The pieces of text one event's ``data`` carries (a :class:`StreamFailed` for an error event)."""
        raise NotImplementedError

    def text(self, index: int, piece: str) -> list[str]:
        """``piece`` added to the text of part ``index``; what of it to hand on (nothing for ``""``)."""
        self.parts.setdefault(index, []).append(piece)
        return [piece] if piece else []

    def call_piece(self, index: int, call_id: Any, name: Any, fragment: str) -> None:
        """A piece of the function call at part ``index`` (lm15's ``ToolCallDelta``): its id and
        name where given, a fragment of its arguments' JSON text."""
        entry = self.calls.setdefault(index, {"id": None, "name": None, "raw": ""})
        if call_id:
            entry["id"] = str(call_id)
        if name:
            entry["name"] = str(name)
        entry["raw"] += fragment

    def completions(self, found: dict[str, Any] | None) -> list[str]:
        """The reply's completions: one, but for a chat request with ``n`` (:class:`ChatStream`)."""
        return [self.completion(found)]

    def message(self) -> dict[str, Any]:
        """The reply as LiteLLM's chunk builder assembles a streamed one, an unstreamed reply's
        ``message``: the text (``None`` unless an event carried one), the reasoning, and the
        function calls by their index, each its id and name as they came and its arguments' text
        joined as it came (a call that never got an id is left out, as the builder leaves it)."""
        texts = ["".join(self.parts[index]) for index in sorted(self.parts)]
        message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or self.texted else None}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        calls = [{"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["raw"]}}
                 for call in (self.calls[index] for index in sorted(self.calls)) if call["id"]]
        if calls:
            message["tool_calls"] = calls
        return message

    def completion(self, found: dict[str, Any] | None) -> Any:
        """The whole completion: the text parts in their order; with the judgments of the request
        (``found``: :mod:`._judgments`) a JSON answer as dspy's own engine hands it on; with
        reasoning or function calls, ``{"text", "reasoning_content"?, "tool_calls"?}`` as dspy's own
        engine assembles them (no text is ``None``; a call's id ``tool_call_<index>`` where none
        came, its arguments read as an object and written again; a call without a name fails the call)."""
        texts = ["".join(self.parts[index]) for index in sorted(self.parts)]
        answer = _judgments.answer_text(texts or [""], found) if found else None
        if answer is not None:
            texts = [answer]
        calls = []
        for index in sorted(self.calls):
            call = self.calls[index]
            if call["name"] is None:
                raise StreamFailed(f"the streamed tool call at part {index} came without a name")
            calls.append({"id": call["id"] or f"tool_call_{index}", "type": "function",
                          "function": {"name": call["name"], "arguments": json.dumps(_arguments(call["raw"]))}})
        return legacy_completion(texts, self.reasoning, calls)


class ChatStream(StreamedReply):
    """OpenAI's chat-completion chunks: the first choice's ``delta.content`` (and the token
    logprobs of the events with text), the other choices' text (``n`` in one request) kept aside,
    ``usage`` where an event carries it, ``[DONE]`` last (a body that ends without it is read as
    ended)."""

    def __init__(self) -> None:
        super().__init__()
        self.ended = True
        #: the text of the other choices, by index (a request with ``n``)
        self.others: dict[int, list[str]] = {}

    def completions(self, found: dict[str, Any] | None) -> list[str]:
        """The first choice's completion, then each other choice's text, by index."""
        return [self.completion(found), *self.other_completions()]

    def other_completions(self) -> list[str]:
        """Each other choice's text, by index (a request with ``n``)."""
        last = max(self.others, default=0)
        return ["".join(self.others.get(i, ())) for i in range(1, last + 1)]

    def read(self, data: str) -> list[str]:
        if data == "[DONE]":
            self.done = True
            return []
        event = event_object(data)
        error = event.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamFailed(f"the server ended the stream with an error: {message}")
        text = ""
        for choice in event.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            content = delta.get("content")
            thought = delta.get("reasoning_content") or delta.get("reasoning")
            if index == 0 and isinstance(thought, str):
                self.reasoning.append(thought)
            if index != 0:  # another of n completions (one request with n, LiteLLM's route): not streamed
                if isinstance(index, int) and index > 0:
                    self.others.setdefault(index, []).append(content if isinstance(content, str) else "")
                continue
            if isinstance(content, str):
                self.texted = True
                text += content
                tokens = choice.get("logprobs").get("content") if isinstance(choice.get("logprobs"), dict) \
                    else None
                if content and isinstance(tokens, list):  # lm15 reads them with a piece of text only
                    self.token_logprobs += tokens
            for call in delta.get("tool_calls") or ():
                self._call_delta(call)
        if event.get("usage") is not None:
            self.usage = event["usage"]
        return self.text(0, text) if text else []  # (lm15 keeps a text part only for text that came)

    def _call_delta(self, call: Any) -> None:
        """A piece of a function call (``delta.tool_calls[i]``): its id and name, a fragment of its arguments."""
        if not isinstance(call, dict):
            return
        index = call.get("index", 0)
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        self.call_piece(index if isinstance(index, int) else 0, call.get("id"), function.get("name"),
                        str(function.get("arguments") or ""))
