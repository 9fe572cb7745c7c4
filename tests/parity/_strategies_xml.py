"""Hypothesis strategies for XMLAdapter replies: what an LM answers in DSPy's XML format.

Well-formed replies (flat text, nested ``<item>``/``<entry>`` elements for list and dict fields,
text around the elements) and malformed ones (an unescaped ``<`` or ``&``, an unclosed tag, a
missing field, a ChatAdapter-style reply, nothing at all), built from the same value strategies
as the chat and JSON replies so that one draw is fed to dspy and to native.
"""

from __future__ import annotations

import typing
from typing import Any

from hypothesis import strategies as st

from _strategies_local import TEXT, WORDS, chat_replies, value_text, values_of
from dspex_core import Signature


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _nested(value: Any, tag: str) -> str:
    """``value`` as nested elements, as DSPy's XMLAdapter writes demos (``<item>``, ``<entry key=...>``)."""
    if isinstance(value, list):
        return f"<{tag}>" + "".join(_nested(v, "item") for v in value) + f"</{tag}>"
    if isinstance(value, dict):
        from xml.sax.saxutils import quoteattr

        inner = "".join(_nested(v, k) if k.isidentifier() else _nested(v, "entry").replace("<entry>", f"<entry key={quoteattr(k)}>", 1)
                        for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    return f"<{tag} />" if value is None else f"<{tag}>{_escape(str(value))}</{tag}>"


def _is_container(annotation: Any) -> bool:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Union and len(args) == 1:
        annotation = args[0]
    return typing.get_origin(annotation) in (list, dict)


@st.composite
def xml_replies(draw, sig: Signature) -> str:
    """An XMLAdapter reply, well-formed or not."""
    mode = draw(st.sampled_from(["ok", "ok", "ok", "nested", "around", "missing", "unescaped", "unclosed",
                                 "words", "chat", "empty", "garbage"]))
    if mode == "empty":
        return ""
    if mode == "garbage":
        return draw(TEXT)
    if mode == "chat":
        return draw(chat_replies(sig))
    parts = []
    for index, (name, field) in enumerate(sig.output_fields.items()):
        if mode == "missing" and index == 0:
            continue
        annotation = field.annotation
        value = draw(values_of(annotation))
        if mode == "nested" and _is_container(annotation) and isinstance(value, (list, dict)):
            parts.append(_nested(value, name))
            continue
        text = draw(WORDS) if mode == "words" and annotation is not str else value_text(draw, annotation, value)
        if mode != "unescaped":
            text = _escape(text)
        layout = draw(st.sampled_from(["\n{}\n", "{}", " {} "]))
        parts.append(f"<{name}>" + layout.format(text) + ("" if mode == "unclosed" and index == 0 else f"</{name}>"))
    body = draw(st.sampled_from(["\n\n", "\n", ""])).join(parts)
    if mode == "around":
        return f"Here is my answer:\n{body}\nDone."
    return body
