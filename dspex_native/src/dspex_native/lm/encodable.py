"""Text no provider can receive: a lone surrogate (``"\\ud800"``) in a call's messages.

Python strings may hold lone surrogates (from ``json.loads`` of ``"\\ud800"``, or bytes decoded with
``surrogateescape``); UTF-8 cannot encode them, so no provider can read them. dspy 3.4 refuses such
a call before any request, whatever the LM (``dspy.clients.execution._check_encodable``), with a
``ValueError`` that says how to repair the text; the native clients refuse it the same way, as an
:class:`~dspex_core.errors.InputError` (a ``ValueError``) with dspy's words.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError


def check_encodable(value: Any, where: str) -> None:
    """Raise dspy's error if ``value`` (a message list, nested dicts, lists and strings) holds text
    that is not valid Unicode; ASCII text, the usual case, is passed at C speed."""
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
            check_encodable(key, where)
            check_encodable(item, where)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            check_encodable(item, where)
