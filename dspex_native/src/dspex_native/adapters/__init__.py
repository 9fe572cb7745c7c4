"""DSPy-identical adapters for the native backend: prompt formatting and reply parsing.

``get_format(signature, "chat" | "json")`` returns the precompiled format of a signature
(cached): ``.system`` (the system message), ``.demo_messages(demos)``, ``.user_message(inputs)``
and ``.parse(reply) -> dict`` (raising :class:`~dspex_core.AdapterParseError`).
"""

from __future__ import annotations

from typing import Any

from dspex_native.adapters._chat import ChatFormat, chat_format
from dspex_native.adapters._coerce import parse_value
from dspex_native.adapters._json import JSONFormat, json_format, response_format
from dspex_native.adapters._values import format_value

ADAPTERS = ("chat", "json")


def get_format(signature: Any, adapter: str = "chat") -> ChatFormat:
    """The precompiled format of ``signature`` for the ``"chat"`` or ``"json"`` adapter."""
    return json_format(signature) if adapter == "json" else chat_format(signature)


__all__ = ["ADAPTERS", "ChatFormat", "JSONFormat", "chat_format", "json_format", "get_format", "format_value",
           "parse_value", "response_format"]
