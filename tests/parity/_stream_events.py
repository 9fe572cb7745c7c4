"""Provider streams for the tests: drawn cases (a module, its signature, a reply for it cut where
the example says: :func:`drawn_case`, :class:`Cuts`), and events written event by event for the tests that script a stream's shape
(``ProviderServer.load([events])``): Anthropic's Messages events and Gemini's GenerateContent chunks."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

CASES = {  # module, signature, the output fields in the order the reply writes them
    "predict": ("predict", "question -> answer", ["answer"]),
    "two outputs": ("predict", "context, question -> summary, answer", ["summary", "answer"]),
    "chain_of_thought": ("chain_of_thought", "question -> answer", ["reasoning", "answer"]),
}
VALUE = st.text(alphabet=st.sampled_from(list("ab yzé.,:#[]\n")), min_size=1, max_size=14).filter(
    lambda v: v.strip() and "[[" not in v)


def drawn_case(data: Any, name: str, cuts: "Cuts") -> tuple[str, str, list[str], str, dict[str, str]]:
    """``(module type, signature, output fields, reply, inputs)`` of ``CASES[name]``: the reply
    writes a drawn value per field, cut where ``data`` draws (set on ``cuts``)."""
    module_type, signature, fields = CASES[name]
    values = {f: data.draw(VALUE, label=f) for f in fields}
    reply = "".join(f"[[ ## {f} ## ]]\n{v}\n\n" for f, v in values.items()) + "[[ ## completed ## ]]"
    cuts.points = data.draw(st.lists(st.integers(0, len(reply)), max_size=12), label="cuts")
    return module_type, signature, fields, reply, {k.strip(): "x" for k in signature.split("->")[0].split(",")}


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
