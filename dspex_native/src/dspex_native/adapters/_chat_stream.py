"""Output fields of a ChatAdapter reply as it arrives: ``[[ ## field ## ]]`` sections, piece by piece.

A streamed call hands each piece of the LM's text to :meth:`ChatFieldStream.feed`, which returns
the new text of output fields as :class:`~dspex_core.StreamChunk` items. The rule is
``ChatFormat.parse``'s (DSPy's ``ChatAdapter.parse``), applied to what has arrived so far: the reply
is split into lines; a line whose stripped text starts with ``[[ ## name ## ]]`` opens the section
``name`` (the rest of that line starts it); a field's text is its first section's lines joined and
stripped; text before the first marker, the ``completed`` section and sections of names that are not
output fields are nobody's. So a piece is given out only once it is certain to be part of that
text: a line that may still turn into a marker (``[[ ## ans`` split across pieces) is held, and so
is trailing whitespace (the strip may drop it) and a final ``\\r`` (``\\r\\n`` is one line break).
Joined, a field's chunks are exactly the text the final parse reads for it (before its type's
conversion).
"""

from __future__ import annotations

import re
from typing import Iterable

from dspex_core.backend import StreamChunk

_HEADER = re.compile(r"\[\[ ## (\w+) ## \]\]")  # ChatFormat's, matched at the start of a stripped line
_WORD = re.compile(r"\w+")
_LEAD = "[[ ## "
_TAIL = " ## ]]"


def _may_become_header(text: str) -> bool:
    """Whether a line starting with ``text`` (already left-stripped) could still be a marker line."""
    if len(text) <= len(_LEAD):
        return _LEAD.startswith(text)
    if not text.startswith(_LEAD):
        return False
    word = _WORD.match(text, len(_LEAD))
    return word is not None and _TAIL.startswith(text[word.end():])


class ChatFieldStream:
    """The output fields' text of one ChatAdapter reply, fed piece by piece (see the module doc)."""

    def __init__(self, output_names: Iterable[str], predict_name: str = "self"):
        self.outputs = frozenset(output_names)
        self.predict_name = predict_name
        self._pending = ""  # the text after the last complete line
        self._field: str | None = None  # the section being read, when it is an output's first one
        self._lines: list[str] = []  # its complete lines
        self._given = 0  # how much of its stripped text was given out
        self._taken: set[str] = set()
        self._open: int | None = None  # the pending line is a marker line: where its text starts

    def feed(self, text: str) -> list[StreamChunk]:
        """The chunks ``text`` (the next piece of the reply) makes certain."""
        if not text:
            return []
        pending = self._pending + text
        out: list[StreamChunk] = []
        segments = pending.splitlines(keepends=True)
        last = segments[-1]
        if last[-1] == "\r" or last == last.splitlines()[0]:  # a lone \r may be half of \r\n: undecided
            segments.pop()
        else:
            last = ""
        for segment in segments:
            self._line(segment.splitlines()[0], out)
        self._pending = last
        self._partial(last[:-1] if last.endswith("\r") else last, out)
        return out

    def finish(self) -> list[StreamChunk]:
        """The chunks left once the reply is complete."""
        out: list[StreamChunk] = []
        if self._pending:
            self._line(self._pending.splitlines()[0] if self._pending.strip("\r") else "", out)
            self._pending = ""
        self._give("\n".join(self._lines).strip(), out)
        self._field = None
        return out

    # -- steps ------------------------------------------------------------------------------------
    def _line(self, line: str, out: list[StreamChunk]) -> None:
        """A complete line: a marker opening a section, or a line of the current one."""
        if self._open is not None:  # its marker was seen while the line was arriving
            start, self._open = self._open, None
            self._lines = [line[start:].strip()]
            return
        if "[[ ## " in line:
            match = _HEADER.match(line.strip())
            if match:
                self._start(match.group(1), out)
                self._lines = [line[match.end():].strip()]  # the offset on the unstripped line, as parse
                return
        self._lines.append(line)

    def _partial(self, line: str, out: list[StreamChunk]) -> None:
        """The line still arriving: held while it may become a marker, else given out as far as certain."""
        if self._open is not None:
            self._give("\n".join((*self._lines, line[self._open:])).strip(), out)
            return
        stripped = line.lstrip()
        if "[[ ## " in line:
            match = _HEADER.match(line.strip())
            if match:
                self._start(match.group(1), out)
                self._lines = []
                self._open = match.end()
                self._give(line[match.end():].strip(), out)
                return
        if _may_become_header(stripped):
            self._give("\n".join(self._lines).strip(), out)
        else:
            self._give("\n".join((*self._lines, line)).strip(), out)

    def _start(self, name: str, out: list[StreamChunk]) -> None:
        """A marker: the current section is complete, ``name``'s begins."""
        self._give("\n".join(self._lines).strip(), out)
        if name in self.outputs and name not in self._taken:
            self._taken.add(name)
            self._field = name
        else:
            self._field = None
        self._given = 0

    def _give(self, known: str, out: list[StreamChunk]) -> None:
        """Give out what of ``known`` (the current section's certain text) was not given yet."""
        if self._field is not None and len(known) > self._given:
            out.append(StreamChunk(self._field, known[self._given:], self.predict_name))
            self._given = len(known)
