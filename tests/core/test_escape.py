"""Text from an LM, escaped before an error message quotes it (dspex_core._escape), and
AdapterParseError, whose message quotes the reply that way while ``raw`` keeps it exactly."""

from __future__ import annotations

import pytest

from dspex_core._escape import escape_controls
from dspex_core.errors import AdapterParseError


@pytest.mark.parametrize("text, shown", [
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),                   # ANSI: clear the screen, cursor home
    ("ok\rFAKE", "ok\\rFAKE"),                                # carriage return: overwrite the line
    ("abc\b\b\bxyz", "abc\\x08\\x08\\x08xyz"),                # backspaces
    ("\x9b31m", "\\x9b31m"),                                   # the one-byte CSI (C1)
    ("\x00\x07\x7f", "\\x00\\x07\\x7f"),                       # NUL, BEL, DEL
    ("\u202etxt.exe", "\\u202etxt.exe"),                       # right-to-left override
    ("a\u2066b\u2069c\u200f\u061c", "a\\u2066b\\u2069c\\u200f\\u061c"),  # isolates and marks
    ("one\u2028two\u2029", "one\\u2028two\\u2029"),            # Unicode line/paragraph separators
    ("\x0b\x0c\x1c", "\\x0b\\x0c\\x1c"),                       # vertical tab, form feed, file separator
])
def test_control_characters_are_written_as_escapes(text, shown):
    assert escape_controls(text) == shown


@pytest.mark.parametrize("text", [
    "plain", "two\nlines\tand a tab", "naïve café, 中文, emoji 😀 with a joiner 👩\u200d💻", "C:\\path\\x1b", "",
])
def test_text_without_them_is_returned_unchanged(text):
    assert escape_controls(text) is text


def test_a_parse_error_quotes_the_reply_escaped_and_keeps_it_raw():
    reply = "[[ ## answer ## ]]\nhi\x1b[2J\rgone\u202e\nnext line"
    error = AdapterParseError("Failed to parse field answer with value hi\x1b[2J", raw=reply)
    assert error.raw == reply
    text = str(error)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert text == ("Failed to parse field answer with value hi\\x1b[2J\n\nLM reply:\n"
                    "[[ ## answer ## ]]\nhi\\x1b[2J\\rgone\\u202e\nnext line")
