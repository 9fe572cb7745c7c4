"""Message content in the GenAI semantic conventions' shape, recorded only when opted in.

``gen_ai.input.messages`` / ``gen_ai.output.messages`` hold JSON arrays of
``{"role", "parts": [{"type": "text", "content": ...}]}``; system messages go to
``gen_ai.system_instructions`` (a JSON array of parts). Content is off by default (prompts and
answers may hold personal data); it is turned on by the standard
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`` or ``dspex_otel.configure(capture_content=True)``.
"""

from __future__ import annotations

import json
import os
from typing import Any

#: The standard switch for GenAI instrumentations (read when the plugin is set up).
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def capture_from_environment() -> bool:
    """Whether ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` asks for content (``true``)."""
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("true", "1", "yes")


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts = []
    for part in content or ():
        if isinstance(part, dict) and part.get("type") == "text":
            parts.append({"type": "text", "content": part.get("text", "")})
        elif isinstance(part, dict):  # an image or a file: its kind, not its bytes
            parts.append({"type": str(part.get("type", "unknown"))})
        else:
            parts.append({"type": "text", "content": str(part)})
    return parts


def input_attributes(messages: Any) -> dict[str, str]:
    """``gen_ai.system_instructions`` and ``gen_ai.input.messages`` of an OpenAI-format message list."""
    system, others = [], []
    for message in messages or ():
        if not isinstance(message, dict):
            continue
        if message.get("role") == "system":
            system.extend(_parts(message.get("content")))
        else:
            others.append({"role": str(message.get("role", "user")), "parts": _parts(message.get("content"))})
    found = {"gen_ai.input.messages": json.dumps(others, ensure_ascii=False, default=str)}
    if system:
        found["gen_ai.system_instructions"] = json.dumps(system, ensure_ascii=False, default=str)
    return found


def output_attribute(outputs: Any, finish_reasons: list[str] | None) -> str:
    """``gen_ai.output.messages`` of the completions an LM returned (texts, or dicts with ``text``)."""
    found = []
    for index, output in enumerate(outputs or ()):
        text = output.get("text") if isinstance(output, dict) else output
        message: dict[str, Any] = {"role": "assistant", "parts": [{"type": "text", "content": "" if text is None
                                                                  else str(text)}]}
        if finish_reasons and index < len(finish_reasons):
            message["finish_reason"] = finish_reasons[index]
        found.append(message)
    return json.dumps(found, ensure_ascii=False, default=str)
