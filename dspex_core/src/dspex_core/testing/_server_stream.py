"""Streamed answers of :class:`~dspex_core.testing.server.LocalLMServer`: OpenAI's server-sent events.

A request with ``"stream": true`` is answered as OpenAI's chat-completions API answers it: a
``text/event-stream`` body in HTTP/1.1 chunked transfer encoding (so the connection stays usable
afterwards), one ``data: {...}\\n\\n`` event per piece of text (``object: chat.completion.chunk``,
the first carrying ``delta.role``), a last event per choice with its ``finish_reason``, an event with
``usage`` and no choices when the request asks for ``stream_options.include_usage``, and
``data: [DONE]``. A reply's reasoning (``reasoning_content`` or ``reasoning``) comes first, as
``delta`` pieces of that key; its token logprobs come with its text events, one entry each; its function
calls as ``delta.tool_calls`` pieces (the id and name first, then the arguments' text cut as the
text is), the last event's ``finish_reason`` then ``tool_calls``. Each event is written and
flushed on its own, so a client reads the first piece while the rest is still to come.

Faults mid-stream (:class:`~dspex_core.testing._server_faults.Fault`'s ``after_chunks``): the
connection closed after that many text events (no terminating chunk: the client sees the body cut
short), or an OpenAI-style ``error`` event there (``stream_error``), as providers send when a
generation fails after it started.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

#: How a reply is cut into the text of successive events: a number of characters, or a function.
ChunkSplitter = Callable[[str], "list[str]"]

#: Characters per event when the server is not told otherwise (a few tokens' worth).
DEFAULT_CHUNK_SIZE = 8


def split_text(text: str, chunking: int | ChunkSplitter) -> list[str]:
    """``text`` cut into the pieces streamed one event each (never an empty piece; ``""`` gives none)."""
    if callable(chunking):
        pieces = [str(p) for p in chunking(text)]
        if "".join(pieces) != text:
            raise ValueError("the stream chunker's pieces do not join to the reply")
        return [p for p in pieces if p]
    return [text[i:i + chunking] for i in range(0, len(text), chunking)]


def check_chunking(chunking: Any) -> int | ChunkSplitter:
    """``stream_chunk_size`` as the server keeps it: a positive int or a callable."""
    if callable(chunking):
        return chunking
    if isinstance(chunking, bool) or not isinstance(chunking, int) or chunking < 1:
        raise ValueError(f"stream_chunk_size must be a positive number of characters or a function "
                         f"text -> list of pieces, got {chunking!r}")
    return chunking


def _event(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode("utf-8") + b"\n\n"


def streamable(reply: Any) -> bool:
    """Whether the server streams ``reply``: a text, or a message dict with text ``content`` (perhaps
    ``logprobs``) or ``tool_calls`` (or both)."""
    return isinstance(reply, str) or (isinstance(reply, dict) and (
        isinstance(reply.get("content"), str) or (reply.get("content") is None and bool(reply.get("tool_calls")))))


def _call_deltas(calls: list[Any], chunking: int | ChunkSplitter) -> Iterator[dict[str, Any]]:
    """OpenAI's ``delta.tool_calls`` pieces of a reply's calls: each call's id, type and name with
    empty arguments first, then its arguments' text cut as the text is."""
    for index, call in enumerate(calls):
        function = call.get("function") or {}
        yield {"index": index, "id": call.get("id"), "type": "function",
               "function": {"name": function.get("name"), "arguments": ""}}
        arguments = function.get("arguments")
        for piece in split_text(arguments if isinstance(arguments, str) else json.dumps(arguments or {}), chunking):
            yield {"index": index, "function": {"arguments": piece}}


def _token_logprobs(reply: Any, pieces: int) -> list[Any]:
    """Each text event's ``logprobs``: ``None`` for a reply without them; else the reply's token
    entries one per event, in order (the last event takes those left; an event past them, none)."""
    entries = reply.get("logprobs", {}).get("content") if isinstance(reply, dict) and reply.get("logprobs") else None
    if entries is None:
        return [None] * pieces
    out = [{"content": entries[i:i + 1], "refusal": None} for i in range(pieces)]
    if pieces:
        out[-1] = {"content": entries[pieces - 1:], "refusal": None}
    return out


def events(completion: dict[str, Any], texts: list[Any], chunking: int | ChunkSplitter,
           include_usage: bool) -> Iterator[tuple[bool, bytes]]:
    """``(is a text event, bytes)`` of the whole stream of ``completion`` (the non-streamed answer
    the server would give, whose id, model and usage the events carry), choice after choice; a
    reply's token logprobs come with its text events, its function calls after them
    (:func:`streamable`)."""
    head = {"id": completion["id"], "object": "chat.completion.chunk", "created": completion["created"],
            "model": completion["model"]}
    for index, reply in enumerate(texts):
        yield False, _event({**head, "choices": [
            {"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]})
        for key in ("reasoning_content", "reasoning"):  # a reply's reasoning first, in pieces of its own
            thought = reply.get(key) if isinstance(reply, dict) else None
            for piece in split_text(thought, chunking) if isinstance(thought, str) else ():
                yield False, _event({**head, "choices": [
                    {"index": index, "delta": {key: piece}, "logprobs": None, "finish_reason": None}]})
        pieces = split_text(reply if isinstance(reply, str) else reply.get("content") or "", chunking)
        for piece, logprobs in zip(pieces, _token_logprobs(reply, len(pieces))):
            yield True, _event({**head, "choices": [
                {"index": index, "delta": {"content": piece}, "logprobs": logprobs, "finish_reason": None}]})
        calls = reply.get("tool_calls") if isinstance(reply, dict) else None
        for delta in _call_deltas(calls or [], chunking):
            yield True, _event({**head, "choices": [
                {"index": index, "delta": {"tool_calls": [delta]}, "logprobs": None, "finish_reason": None}]})
        yield False, _event({**head, "choices": [{"index": index, "delta": {}, "logprobs": None,
                                                   "finish_reason": "tool_calls" if calls else "stop"}]})
    if include_usage:
        yield False, _event({**head, "choices": [], "usage": completion["usage"]})
    yield False, b"data: [DONE]\n\n"


def error_event(message: str) -> bytes:
    """An OpenAI-style error in the stream (what providers send when generation fails midway)."""
    return _event({"error": {"message": message, "type": "server_error", "param": None, "code": None}})


def write_stream(handler: Any, completion: dict[str, Any], texts: list[Any], body: dict[str, Any],
                 chunking: int | ChunkSplitter, fault: Any) -> None:
    """Answer on ``handler`` (a ``BaseHTTPRequestHandler``) with the event stream; ``fault`` (or
    ``None``) may cut it short after ``fault.after_chunks`` text events. A chunker whose pieces do
    not join to the reply raises ``ValueError`` before anything is written."""
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    stream = list(events(completion, texts, chunking, include_usage))  # a chunker's mistake: before any byte
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    out = handler.wfile
    cut = fault.after_chunks if fault is not None else None
    sent = 0
    for is_text, data in stream:
        if cut is not None and is_text and sent >= cut:
            if fault.stream_error is not None:  # a whole body that ends in the error: the connection stays usable
                _write_chunk(out, error_event(fault.stream_error))
                out.write(b"0\r\n\r\n")
                out.flush()
            else:  # the drop: no terminating chunk, the body ends short
                handler.close_connection = True
            return
        _write_chunk(out, data)
        sent += is_text
    out.write(b"0\r\n\r\n")
    out.flush()


def _write_chunk(out: Any, data: bytes) -> None:
    out.write(b"%x\r\n%s\r\n" % (len(data), data))
    out.flush()

