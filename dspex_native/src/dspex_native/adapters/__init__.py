"""DSPy-identical adapters for the native backend: prompt formatting and reply parsing.

``get_format(signature, "chat" | "json" | "xml")`` returns the precompiled format of a signature
(cached): ``.system`` (the system message), ``.demo_messages(demos)``, ``.user_message(inputs)``
and ``.parse(reply) -> dict`` (raising :class:`~dspex_core.AdapterParseError`).
"""

from __future__ import annotations

from typing import Any

from dspex_native.adapters._chat import ChatFormat, chat_format
from dspex_native.adapters._coerce import parse_value
from dspex_native.adapters._json import JSONFormat, json_format, response_format
from dspex_native.adapters._values import format_value
from dspex_native.adapters._xml import XMLFormat, xml_format

ADAPTERS = ("chat", "json", "xml")


def get_format(signature: Any, adapter: str = "chat") -> ChatFormat:
    """The precompiled format of ``signature`` for the ``"chat"``, ``"json"`` or ``"xml"`` adapter."""
    if adapter == "json":
        return json_format(signature)
    if adapter == "xml":
        return xml_format(signature)
    return chat_format(signature)


__all__ = ["ADAPTERS", "ChatFormat", "JSONFormat", "XMLFormat", "chat_format", "json_format", "xml_format",
           "get_format", "format_value", "parse_value", "response_format"]
