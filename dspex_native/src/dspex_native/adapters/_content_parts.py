"""Images in a prompt: user messages split into OpenAI content parts, as DSPy's adapters split them.

An image value is written into the prompt's text as DSPy's custom-type marker
(``<<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "image_url", ...}]<<CUSTOM-TYPE-END-IDENTIFIER>>``,
the text of :class:`dspex_core.backend.Image` and of ``dspy.Image``); a user message holding one
becomes a list of parts: the text before it, the parts inside it, the text after (DSPy's
``_expand_legacy_custom_type_markers_in_chat_message``). A marker inside a JSON string (a list of
images) is escaped once more, and read as DSPy reads it. The image field types themselves:
:func:`takes_images`.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from dspex_core.backend import is_image_type

START = "<<CUSTOM-TYPE-START-IDENTIFIER>>"
_MARKER = re.compile(r"<<CUSTOM-TYPE-START-IDENTIFIER>>(.*?)<<CUSTOM-TYPE-END-IDENTIFIER>>", re.DOTALL)
_UNION_ORIGINS = (typing.Union, types.UnionType)


def _is_media_type(annotation: Any) -> bool:
    """An image (dspex's or dspy's), or dspy's ``File`` or ``Audio``: each is written into the
    prompt as a custom-type marker of its content parts (``file``, ``input_audio``)."""
    if is_image_type(annotation):
        return True
    return (isinstance(annotation, type) and annotation.__name__ in _DSPY_MEDIA
            and getattr(annotation, "__module__", "").startswith("dspy."))


_DSPY_MEDIA = frozenset({"File", "Audio"})


def takes_images(annotation: Any) -> bool:
    """Whether an input field of this type holds content parts natively: ``Image``,
    ``Optional[Image]``, ``list[Image]`` (dspex's or dspy's class), and the same of dspy's ``File``
    and ``Audio``."""
    if _is_media_type(annotation):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in _UNION_ORIGINS:
        members = [a for a in args if a is not type(None)]
        return len(members) == 1 and len(args) == 2 and takes_images(members[0])
    return origin is list and len(args) == 1 and _is_media_type(args[0])


def split_message(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with its content as parts when it is a user message holding a marker."""
    content = message.get("content")
    if message.get("role") != "user" or type(content) is not str or START not in content:
        return message
    parts: list[dict[str, Any]] = []
    last = 0
    for match in _MARKER.finditer(content):
        start, end = match.span()
        if start > last:
            parts.append({"type": "text", "text": content[last:start]})
        parts.extend(_payload_parts(match.group(1).strip()))
        last = end
    if last < len(content):
        parts.append({"type": "text", "text": content[last:]})
    return {**message, "content": parts}


def _payload_parts(payload: str) -> list[dict[str, Any]]:
    parsed = _parse(payload)
    if isinstance(parsed, list):
        return [part if isinstance(part, dict) else {"type": "text", "text": str(part)} for part in parsed]
    return [{"type": "text", "text": payload}]


def _parse(payload: str) -> Any:
    """DSPy's reading of a marker's payload: JSON, JSON escaped once more (inside a JSON
    string), then json_repair's lenient reading."""
    import json

    try:
        return json.loads(payload)
    except Exception:  # noqa: BLE001 - DSPy tries the next reading on any failure
        pass
    try:
        return json.loads(json.loads(f'"{payload}"'))
    except Exception:  # noqa: BLE001
        pass
    from dspex_native.adapters._lenient_json import loads_lenient

    try:
        return loads_lenient(payload)
    except Exception:  # noqa: BLE001
        return None


def split_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every message through :func:`split_message` (the list itself when none holds a marker)."""
    for index, message in enumerate(messages):
        content = message.get("content")
        if type(content) is str and START in content and message.get("role") == "user":
            return messages[:index] + [split_message(m) for m in messages[index:]]
    return messages
