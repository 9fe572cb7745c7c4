"""Output fields of an XMLAdapter reply as it arrives: the text of top-level ``<field>`` elements.

The parse (``XMLFormat.parse``, DSPy's ``XMLAdapter.parse``) reads the whole reply as XML inside a
``<dspy_root>`` element; a field's text is its first top-level element's text, entities decoded,
line ends made ``\\n`` (as every XML parser does), stripped. The reader follows the same rules as the
pieces arrive, character by character: an output field's element (``<answer>`` or ``<answer
...attributes>``, the first one at the top level) is streamed as its decoded text, given out once it
is certain: leading whitespace is dropped, trailing whitespace held until more text follows (the
strip may drop it), an entity (``&amp;``, ``&#233;``) held until its ``;``, a ``\\r`` given out as
``\\n`` (a ``\\r\\n`` is one). The element's end tag ends it; text outside output elements, and
other elements at the top level, are nobody's. Joined, a field's chunks are the text the parse
reads for it.

Comments, CDATA and processing instructions outside fields are skipped whole. What the reader
does not follow inside a field ends that field's streaming quietly (the final parse says what it
makes of it): a child element, a comment, CDATA or a processing instruction, an entity XML does not
define. A field whose type the adapter writes as nested XML (a list, dict or model) is given out
whole, as its inner XML text, once its element ends. Only the first element of each output field
is streamed (the parse reads several as a list).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from dspex_core.backend import StreamChunk

from dspex_native.adapters._xml import uses_nested_xml

_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")
#: the longest tag followed (a name and attributes): past it, the markup is taken as ended
_TAG_LIMIT = 4096


def _tag_complete(tag: list[str]) -> bool:
    """Whether a ``>`` ends the markup begun with ``<`` + ``tag``: a comment ends with ``-->``, CDATA
    with ``]]>``, a processing instruction with ``?>``, anything else with its first ``>``."""
    text = "".join(tag[:9])
    if text.startswith("!--"):
        return len(tag) >= 6 and tag[-3:] == ["-", "-", ">"]
    if text.startswith("![CDATA["):
        return len(tag) >= 11 and tag[-3:] == ["]", "]", ">"]
    if text.startswith("?"):
        return len(tag) >= 3 and tag[-2] == "?"
    return True


def _char_ref(body: str) -> str | None:
    """The character of ``&#...;`` / ``&#x...;`` (``body`` without ``&`` and ``;``), or ``None``."""
    try:
        code = int(body[2:], 16) if body[:2] in ("#x", "#X") else int(body[1:])
    except ValueError:
        return None
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None


class XMLFieldStream:
    """The output fields' text of one XMLAdapter reply, fed piece by piece (see the module doc)."""

    def __init__(self, outputs: Iterable[str] | Mapping[str, Any], predict_name: str = "self"):
        self.outputs = frozenset(outputs)
        self.nested = frozenset(n for n, a in outputs.items() if uses_nested_xml(a)) \
            if isinstance(outputs, Mapping) else frozenset()
        self.predict_name = predict_name
        self._taken: set[str] = set()
        self._depth = 0  # element depth below the root; 1 inside a top-level element
        self._field: str | None = None  # the output whose element is open (its first one)
        self._following = False  # its text is still streamed
        self._tag: list[str] | None = None  # a tag being read (after its "<")
        self._entity: list[str] | None = None  # an entity being read (after its "&")
        self._cr = False  # the last character was a "\r" (a "\n" after it is the same line end)
        self._started = False  # the field's text has had a character that is not whitespace
        self._space: list[str] = []  # whitespace held after the field's text so far
        self._raw: list[str] = []  # a nested field's inner text
        self._out: list[StreamChunk] = []
        self._text: list[str] = []

    def feed(self, text: str) -> list[StreamChunk]:
        """The chunks ``text`` (the next piece of the reply) makes certain."""
        for char in text:
            self._char(char)
        self._flush()
        out, self._out = self._out, []
        return out

    def finish(self) -> list[StreamChunk]:
        """Nothing more is certain at the end: an element left open is not parsed as XML."""
        return []

    # -- steps ------------------------------------------------------------------------------------
    def _char(self, char: str) -> None:
        if self._field is not None and self._field in self.nested:
            self._raw.append(char)
        if self._tag is not None:
            self._tag.append(char)
            if char == ">" and _tag_complete(self._tag) or len(self._tag) > _TAG_LIMIT and self._tag[0] not in "!?":
                self._close_tag("".join(self._tag))
            return
        if char == "<":
            self._tag = []
            return
        if self._depth != 1 or not self._following:
            return
        if self._entity is not None:
            if char == ";":
                body, self._entity = "".join(self._entity), None
                value = _ENTITIES.get(body) if not body.startswith("#") else _char_ref(body)
                if value is None:
                    self._stop()
                else:
                    self._text_char(value)
            elif len(self._entity) > 12:
                self._stop()
            else:
                self._entity.append(char)
            return
        if char == "&":
            self._entity = []
            self._cr = False  # (a "\n" after the entity is a line end of its own)
            return
        if char == "\r":
            self._cr = True
            self._text_char("\n")
            return
        if char == "\n" and self._cr:
            self._cr = False
            return
        self._cr = False
        self._text_char(char)

    def _text_char(self, char: str) -> None:
        """A decoded character of the field's text: given out once the strip cannot drop it."""
        if char.isspace():
            if self._started:
                self._space.append(char)
            return
        self._started = True
        if self._space:
            self._text.extend(self._space)
            self._space = []
        self._text.append(char)

    def _close_tag(self, tag: str) -> None:
        """A whole tag (``tag`` is what followed ``<``, through ``>``)."""
        self._tag = None
        self._cr = False
        if tag.startswith(("!", "?")):  # a comment, CDATA, a declaration or processing instruction
            if self._depth >= 1:
                self._stop()
            return
        if tag.startswith("/"):
            self._depth = max(self._depth - 1, 0)
            if self._depth == 0 and self._field is not None:
                self._end_field()
            return
        closed = tag.endswith("/>")
        name = _NAME.match(tag)
        if self._depth == 0:
            if name is not None and name.group() in self.outputs and name.group() not in self._taken:
                self._taken.add(name.group())
                self._field = name.group()
                self._following = self._field not in self.nested
                self._started, self._space, self._raw = False, [], []
                if closed:  # <answer/>: an empty text
                    self._end_field()
                    return
        elif self._depth >= 1:
            self._stop()  # a child element: not followed while streaming
        if not closed:
            self._depth += 1

    def _end_field(self) -> None:
        """The field's end tag: a nested field is given out whole (its inner text, stripped)."""
        if self._field in self.nested and self._raw:
            inner = "".join(self._raw)
            inner = inner[:inner.rfind("<")] if "<" in inner else inner  # up to its end tag
            if inner.strip():
                self._flush()
                self._out.append(StreamChunk(self._field, inner.strip(), self.predict_name))
        self._flush()
        self._field = None
        self._following = False
        self._entity = None

    def _stop(self) -> None:
        """Something this reader does not follow: the field's streaming ends here."""
        self._flush()
        self._following = False
        self._entity = None

    def _flush(self) -> None:
        if self._text:
            if self._field is not None and self._following:
                self._out.append(StreamChunk(self._field, "".join(self._text), self.predict_name))
            self._text = []
