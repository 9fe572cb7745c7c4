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

    def read(self, data: str) -> list[str]:
        """The pieces of text one event's ``data`` carries (a :class:`StreamFailed` for an error event)."""
        raise NotImplementedError

    def text(self, index: int, piece: str) -> list[str]:
        self.parts.setdefault(index, []).append(piece)
        return [piece] if piece else []

    def completions(self, found: dict[str, Any] | None) -> list[str]:
        """The reply's completions: one, but for a chat request with ``n`` (:class:`ChatStream`)."""
        return [self.completion(found)]

    def completion(self, found: dict[str, Any] | None) -> str:
        """The whole completion: the text parts in their order; with the judgments of the request
        (``found``: :mod:`._judgments`) a JSON answer as dspy's own engine hands it on."""
        texts = ["".join(self.parts[index]) for index in sorted(self.parts)] or [""]
        answer = _judgments.answer_text(texts, found) if found else None
        return "".join(texts) if answer is None else answer


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
        last = max(self.others, default=0)
        return [self.completion(found), *("".join(self.others.get(i, ())) for i in range(1, last + 1))]

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
            content = (choice.get("delta") or {}).get("content")
            if index != 0:  # another of n completions (one request with n, LiteLLM's route): not streamed
                if isinstance(index, int) and index > 0:
                    self.others.setdefault(index, []).append(content if isinstance(content, str) else "")
                continue
            if isinstance(content, str):
                text += content
                tokens = choice.get("logprobs").get("content") if isinstance(choice.get("logprobs"), dict) \
                    else None
                if content and isinstance(tokens, list):  # lm15 reads them with a piece of text only
                    self.token_logprobs += tokens
        if event.get("usage") is not None:
            self.usage = event["usage"]
        return self.text(0, text)
