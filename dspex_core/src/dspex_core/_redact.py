"""The one redactor: credentials out of error messages, reprs, logs, prints and telemetry.

An LM's reply or a client library's exception can echo what it was sent: a key in a 401
message, a ``user:password@`` in a URL, a custom ``X-Api-Key`` header. Whatever text crosses
from a client into a dspex error, a log record or an event goes through :func:`redact`, which
hides every secret a live LM will send (:mod:`dspex_core._secret_registry`: the ``api_key``
setting, the provider's environment variable, URL credentials in all their forms, header
values), any the caller passes, and key-shaped strings that nobody registered (``sk-...``,
``Bearer ...``, ``api_key=...``, ``Authorization: ...``, URL userinfo).
"""

from __future__ import annotations

import re

from dspex_core._credentials import MIN_SECRET_LENGTH
from dspex_core._secret_registry import known
from dspex_core._url_credentials import strip_credentials, url_credentials, url_secrets

__all__ = ["HIDDEN", "redact", "strip_credentials", "url_credentials", "url_secrets"]

HIDDEN = "<hidden>"
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',]+")
_SK_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
# ``api_key=v``, ``"api_key": "v"``, ``api-key: v``; not prose such as "api_key (value never shown)",
# nor advice about where a key goes: a placeholder (``api_key="..."``, ``api_key=<key>``) or a short
# unquoted word (``api_key= on dspy.LM``, dspy's hint) is no key and stays readable.
_KEY_SETTING = re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*([\"']?))([^\s\"',}]+)")
_PLACEHOLDER = re.compile(r"\.{2,}|\u2026|<[^<>]*>")


def _mask_setting(match: re.Match[str]) -> str:
    value, quoted = match.group(3), bool(match.group(2))
    if _PLACEHOLDER.fullmatch(value) or (not quoted and len(value) < MIN_SECRET_LENGTH):
        return match.group(0)
    return match.group(1) + HIDDEN


# ``Authorization: Basic v``, ``"authorization": "Token v"``: the header's value whatever its scheme.
_AUTH_HEADER = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:[a-z]+\s+)?)[^\s\"',}]+")
_URL_USERINFO = re.compile(r"(?<=//)[^/\s@]+@")


def redact(text: str, *secrets: str | None, limit: int | None = 500) -> str:
    """``text`` with every known secret, the given ones and key-shaped strings masked, cut to
    ``limit`` characters."""
    held = known()
    given = [s for s in secrets if s]
    for secret in (sorted({*given, *held}, key=len, reverse=True) if given else held):
        if secret in text:
            text = text.replace(secret, HIDDEN)
    text = _BEARER.sub("Bearer " + HIDDEN, text)
    text = _SK_KEY.sub(HIDDEN, text)
    text = _KEY_SETTING.sub(_mask_setting, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _URL_USERINFO.sub("", text)
    return text if limit is None or len(text) <= limit else text[:limit] + "..."
