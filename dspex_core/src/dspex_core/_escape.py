"""Text from an LM (or a server) made safe to print in an error message.

An error that quotes the LM's reply is printed to a terminal sooner or later (a traceback, a
log line, ``dspex run``'s one-line error). A reply holding ``ESC [2J`` clears that terminal, a
``\\r`` or ``\\b`` writes over what came before, a bidi override (U+202E) shows the text in
another order than it is. :func:`escape_controls` writes every such character as Python's
``repr`` would (``\\x1b``, ``\\r``, ``\\x08``, ``\\u202e``), so the message shows what the reply
holds instead of doing what it says.

The rule, for every message dspex builds around an LM's text:

* escaped: the C0 control characters except newline and tab (``\\x00``-``\\x08``,
  ``\\x0b``-``\\x1f``: ESC, ``\\r``, ``\\b``, form feed, ...), DEL and the C1 controls
  (``\\x7f``-``\\x9f``: the one-byte CSI ``\\x9b`` among them), the bidirectional formatting
  characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the Unicode line and
  paragraph separators (U+2028, U+2029);
* kept: newline and tab, so a multi-line reply stays readable as the lines it has (a line
  cannot move the cursor back over an earlier one); every other character, backslashes too.

The escaped text is for reading; the exact reply is kept where the error keeps it
(``AdapterParseError.raw``).
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match) -> str:
    return repr(match.group())[1:-1]


def escape_controls(text: str) -> str:
    """``text`` with the characters that can rewrite a terminal written as escapes (see the module
    docstring); ``text`` itself when it has none."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escaped, text)
