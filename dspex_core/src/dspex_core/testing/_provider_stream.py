"""Streamed answers of :class:`~dspex_core.testing.provider_server.ProviderServer`: each provider's
own server-sent events.

A request that asks to stream (Anthropic: ``"stream": true`` in the body; Gemini: the
``:streamGenerateContent`` path, ``alt=sse``) is answered as the provider's API answers it, in
HTTP/1.1 chunked transfer encoding, each event written and flushed on its own:

* Anthropic: ``message_start`` (the message id and model, its input token count),
  ``content_block_start``, a ``content_block_delta`` (``text_delta``) per piece of text,
  ``content_block_stop``, ``message_delta`` (``stop_reason: end_turn`` and the output token count:
  the API's final usage carries only that), ``message_stop``; each as ``event: NAME`` and
  ``data: {...}``.
* Gemini: one ``data: {...}`` event per piece of text (a candidate with one text part, and the
  running ``usageMetadata``), the last one with ``finishReason: STOP`` and the whole usage.

* Ollama (``"stream": true`` in the body): newline-delimited JSON (``application/x-ndjson``), one
  object per piece of text (``/api/chat``: ``message.content``; ``/api/generate``: ``response``)
  with ``"done": false``, then a last one with ``"done": true``, ``done_reason`` and the token counts
  (``prompt_eval_count``, ``eval_count``).

A scripted reply that is a list is sent as it is: each item an event's JSON payload (Anthropic's
event name taken from its ``type``), for streams of other shapes (tool calls, thoughts, a usage-only
last event, an error event).
"""

from __future__ import annotations

import json
from typing import Any

from dspex_core.testing._server_stream import ChunkSplitter, _write_chunk, split_text


def asks_to_stream(shape: str, path: str, body: Any) -> bool:
    """Whether a request asks the server to stream its answer, as the shape's API reads it."""
    if shape in ("anthropic", "ollama"):
        return isinstance(body, dict) and body.get("stream") is True
    if shape == "gemini":
        return path.endswith(":streamGenerateContent")
    return False


def events(shape: str, text: str, chunking: int | ChunkSplitter, usage: tuple[int, int],
           path: str = "") -> list[dict[str, Any]]:
    """The event payloads of ``text`` streamed in ``shape``'s format (see the module doc; for
    ``"ollama"``, the ``/api/generate`` stream when ``path`` ends so, else ``/api/chat``'s)."""
    prompt, completion = usage
    pieces = split_text(text, chunking)
    if shape == "ollama":
        generate = path.endswith("/api/generate")

        def line(piece: str, **last: Any) -> dict[str, Any]:
            said = {"response": piece} if generate else {"message": {"role": "assistant", "content": piece}}
            return {"model": "local", "created_at": "2025-01-01T00:00:00Z", **said, "done": bool(last), **last}

        return [*(line(piece) for piece in pieces),
                line("", done_reason="stop", prompt_eval_count=prompt, eval_count=completion)]
    if shape == "anthropic":
        return [
            {"type": "message_start", "message": {"id": "msg_local", "type": "message", "role": "assistant",
                                                  "model": "local", "content": [], "stop_reason": None,
                                                  "stop_sequence": None,
                                                  "usage": {"input_tokens": prompt, "output_tokens": 1}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
              for piece in pieces),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
             "usage": {"output_tokens": completion}},
            {"type": "message_stop"},
        ]
    out = []
    pieces = pieces or [""]
    for number, piece in enumerate(pieces, start=1):
        last = number == len(pieces)
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}
        if last:
            candidate["finishReason"] = "STOP"
        written = completion if last else number
        out.append({"candidates": [candidate],
                    "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": written,
                                      "totalTokenCount": prompt + written},
                    "modelVersion": "local"})
    return out


def write(handler: Any, shape: str, payloads: list[Any]) -> None:
    """Answer on ``handler`` (a ``BaseHTTPRequestHandler``) with ``payloads`` as the shape's event stream."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/x-ndjson" if shape == "ollama" else
                        "text/event-stream; charset=utf-8")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for payload in payloads:
        if shape == "ollama":
            _write_chunk(handler.wfile, json.dumps(payload, separators=(",", ":")).encode("utf-8") + b"\n")
            continue
        data = b"data: " + json.dumps(payload, separators=(",", ":")).encode("utf-8") + b"\n\n"
        if shape == "anthropic" and isinstance(payload, dict) and "type" in payload:
            data = b"event: " + str(payload["type"]).encode("utf-8") + b"\n" + data
        _write_chunk(handler.wfile, data)
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()
