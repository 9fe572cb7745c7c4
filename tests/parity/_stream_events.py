"""Provider streams for the tests: the chunker that cuts a reply where an example says (:class:`Cuts`),
and events written event by event for the tests that script a stream's shape
(``ProviderServer.load([events])``): Anthropic's Messages events and Gemini's GenerateContent chunks."""

from __future__ import annotations


class Cuts:
    """A server's chunker: the reply cut at the points set per example."""

    def __init__(self) -> None:
        self.points: list[int] = []

    def __call__(self, text: str) -> list[str]:
        points = [0, *sorted({c for c in self.points if 0 < c < len(text)}), len(text)]
        return [text[a:b] for a, b in zip(points, points[1:])]


#: the usage of Anthropic's ``message_start`` (its output count is a placeholder, 1)
START_USAGE = {"input_tokens": 30, "output_tokens": 1}


def anthropic_events(blocks: list[tuple[str, str]], usage: dict | None, stop: bool = True,
                     start_usage: dict = START_USAGE) -> list[dict]:
    """A Messages stream: ``blocks`` (``("text" | "thinking", text)``, each in two deltas), then
    ``message_delta`` (with ``usage`` unless ``None``) and ``message_stop`` (unless ``stop`` is false)."""
    events = [{"type": "message_start", "message": {"id": "msg_x", "type": "message", "role": "assistant",
                                                    "model": "claude", "content": [], "stop_reason": None,
                                                    "usage": start_usage}},
              {"type": "ping"}]
    for index, (kind, text) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": index,
                       "content_block": {"type": kind, kind: ""} if kind == "thinking" else {"type": kind, "text": ""}})
        for piece in (text[:3], text[3:]):
            delta = {"type": "thinking_delta", "thinking": piece} if kind == "thinking" else \
                {"type": "text_delta", "text": piece}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                   **({"usage": usage} if usage is not None else {})})
    if stop:
        events.append({"type": "message_stop"})
    return events


def gemini_events(chunks: list[list[dict]], usages: list[dict | None], finish_at: int | None) -> list[dict]:
    """A GenerateContent stream: one event per item of ``chunks`` (its parts) with the usage beside
    it (``None``: none), the ``finishReason`` on event ``finish_at``."""
    events = []
    for number, (parts, usage) in enumerate(zip(chunks, usages)):
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
        if number == finish_at:
            candidate["finishReason"] = "STOP"
        event = {"candidates": [candidate]} if parts or number == finish_at else {}
        if usage is not None:
            event["usageMetadata"] = usage
        events.append(event)
    return events
