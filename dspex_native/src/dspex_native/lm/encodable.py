"""Text no provider can receive: a lone surrogate (``"\\ud800"``) in a call's messages.

Python strings may hold lone surrogates (from ``json.loads`` of ``"\\ud800"``, or bytes decoded with
``surrogateescape``); UTF-8 cannot encode them, so no provider can read them. dspy 3.4 refuses such
a call before any request, whatever the LM (``dspy.clients.execution._check_encodable``), with a
``ValueError`` that says how to repair the text; the native HTTP client refuses it the same way, as
an :class:`~dspex_core.errors.InputError` (a ``ValueError``) with dspy's words. A custom LM object
is handed the messages as they are (a known difference, pinned by
tests/parity/test_lone_surrogates.py): it is no provider, and the check would be a tenth of a
native call's own cost on that path.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError


def check_encodable(messages: Any, where: str) -> None:
    """Raise dspy's error if ``messages`` (a message list, nested dicts, lists and strings) hold
    text that is not valid Unicode. Messages of ASCII strings, the usual case, are passed in one
    loop (``str.isascii`` reads a flag); anything else (a non-ASCII string, a list of content
    parts, ...) is walked by :func:`_check`."""
    try:
        for message in messages:
            for key, value in message.items():
                if not (value.isascii() and key.isascii()):
                    raise LookupError
    except (AttributeError, TypeError, LookupError):
        _check(messages, where)


def _check(value: Any, where: str) -> None:
    if isinstance(value, str):
        if value.isascii():
            return
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = " ".join(f"U+{ord(ch):04X}" for ch in value[exc.start:exc.end])
            raise InputError(
                f"{where} contains text that is not valid Unicode (lone surrogate {bad}), which no "
                "provider can receive; repair the text first, e.g. text.encode('utf-8', 'replace').decode('utf-8')"
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, where)
            _check(item, where)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _check(item, where)
