"""Output fields of a JSONAdapter reply as it arrives: the top-level keys of a streamed JSON object.

A JSON reply (``{"reasoning": "...", "answer": "..."}``, possibly after other text or inside a code
fence) is read character by character as its pieces arrive. A string value of an output field is
given out as it is decoded, escapes included (``\\n``, ``\\"``, ``\\u00e9``, and a surrogate pair
``\\ud83d\\ude00`` is held until both halves are in), so an escape split across pieces is never
given out half. Any other value (a number, a list, an object) is given out as its JSON text, once
it is complete. Only the first value of each output field is streamed; the final Prediction is
``JSONFormat.parse`` of the whole reply, as without streaming. Text the reader cannot follow (not a
JSON object) ends the streaming of fields quietly: the final parse says what is wrong with it.
"""

from __future__ import annotations

import json
from typing import Iterable

from dspex_core.backend import StreamChunk

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SPACE = " \t\r\n"


class JSONFieldStream:
    """The output fields' text of one JSONAdapter reply, fed piece by piece (see the module doc)."""

    def __init__(self, output_names: Iterable[str], predict_name: str = "self"):
        self.outputs = frozenset(output_names)
        self.predict_name = predict_name
        self._state = self._seek
        self._key_chars: list[str] = []  # the raw text of the key being read
        self._field: str | None = None  # the output whose value is being read (first time seen)
        self._taken: set[str] = set()
        self._escape: str | None = None  # an escape being read: "\\", "\\u12", ...
        self._high: str | None = None  # a high surrogate waiting for its low half
        self._raw_chars: list[str] = []  # a non-string value's text
        self._depth = 0
        self._in_string = False
        self._raw_escape = False
        self._out: list[StreamChunk] = []
        self._text_chars: list[str] = []

    def feed(self, text: str) -> list[StreamChunk]:
        """The chunks ``text`` (the next piece of the reply) completes."""
        for char in text:
            self._state(char)
        self._flush()
        out, self._out = self._out, []
        return out

    def finish(self) -> list[StreamChunk]:
        """Nothing is held at the end but a half escape or surrogate, which is not text yet: no chunk."""
        return []

    def _flush(self) -> None:
        if self._text_chars:
            if self._field is not None:
                self._out.append(StreamChunk(self._field, "".join(self._text_chars), self.predict_name))
            self._text_chars = []

    def _emit(self, text: str) -> None:
        if self._field is not None:
            self._text_chars.append(text)

    # -- states: one method each, given the next character ----------------------------------------
    def _seek(self, char: str) -> None:
        if char == "{":
            self._state = self._key_or_end

    def _key_or_end(self, char: str) -> None:
        if char == '"':
            self._key_chars = []
            self._escape = None
            self._state = self._key
        elif char == "}":
            self._state = self._done
        elif char not in _SPACE and char != ",":
            self._state = self._done

    def _key(self, char: str) -> None:
        if self._escape is None and char == '"':
            try:
                key = json.loads('"' + "".join(self._key_chars) + '"')
            except ValueError:
                self._state = self._done
                return
            if key in self.outputs and key not in self._taken:
                self._taken.add(key)
                self._field = key
            else:
                self._field = None
            self._state = self._colon
            return
        self._escape = None if self._escape is not None or char != "\\" else "\\"
        self._key_chars.append(char)

    def _colon(self, char: str) -> None:
        if char == ":":
            self._state = self._value
        elif char not in _SPACE:
            self._state = self._done

    def _value(self, char: str) -> None:
        if char in _SPACE:
            return
        if char == '"':
            self._escape = self._high = None
            self._state = self._string
            return
        self._raw_chars, self._depth, self._in_string, self._raw_escape = [], 0, False, False
        self._state = self._raw
        self._raw(char)

    def _string(self, char: str) -> None:
        escape = self._escape
        if escape is None:
            if char == "\\":
                self._escape = "\\"
            elif char == '"':
                if self._high is not None:  # a lone high surrogate: json.loads keeps it as it is
                    self._emit(self._high)
                    self._high = None
                self._flush()
                self._field = None
                self._state = self._after_value
            else:
                self._text(char)
            return
        if escape == "\\":
            if char == "u":
                self._escape = "\\u"
            else:
                self._escape = None
                self._text(_ESCAPES.get(char, char))
            return
        escape += char
        if len(escape) < 6:
            self._escape = escape
            return
        self._escape = None
        try:
            code = int(escape[2:], 16)
        except ValueError:
            self._state = self._done
            return
        self._text(chr(code))

    def _text(self, char: str) -> None:
        """A decoded character of a string value (surrogate halves joined as json.loads joins them)."""
        code = ord(char)
        if self._high is not None:
            high, self._high = self._high, None
            if 0xDC00 <= code <= 0xDFFF:
                self._emit((high + char).encode("utf-16", "surrogatepass").decode("utf-16"))
                return
            self._emit(high)
        if 0xD800 <= code <= 0xDBFF:
            self._high = char
            return
        self._emit(char)

    def _raw(self, char: str) -> None:
        """A number, literal, list or object: read to its end, given out whole."""
        if self._in_string:
            if self._raw_escape:
                self._raw_escape = False
            elif char == "\\":
                self._raw_escape = True
            elif char == '"':
                self._in_string = False
        elif char == '"':
            self._in_string = True
        elif char in "[{":
            self._depth += 1
        elif char in "]}" or (char == "," and self._depth == 0):
            if self._depth == 0:  # the value ended: a comma, or the object's own closing brace
                text = "".join(self._raw_chars).strip()
                if text:
                    self._emit(text)
                self._flush()
                self._field = None
                self._state = self._key_or_end if char == "," else self._done
                return
            self._depth -= 1
        self._raw_chars.append(char)

    def _after_value(self, char: str) -> None:
        if char == ",":
            self._state = self._key_or_end
        elif char not in _SPACE:
            self._state = self._done

    def _done(self, char: str) -> None:
        """The object ended, or the text is not one this reader follows: nothing more to give out."""
