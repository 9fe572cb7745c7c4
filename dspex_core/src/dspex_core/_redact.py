"""Keeping credentials out of error messages, reprs and logs, for every backend alike.

An LM's reply or a client library's exception can echo what it was sent: a key in a 401
message, a ``user:password@`` in a URL. Whatever text crosses from a client into a dspex error
goes through :func:`redact` first, with the secrets the caller knows plus key-shaped patterns.
"""

from __future__ import annotations

import re

HIDDEN = "<hidden>"
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',]+")
_SK_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
# ``api_key=v``, ``"api_key": "v"``, ``api-key: v``; not prose such as "api_key (value never shown)".
_KEY_SETTING = re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")
_URL_USERINFO = re.compile(r"(?<=//)[^/\s@]+@")


def redact(text: str, *secrets: str | None, limit: int | None = 500) -> str:
    """``text`` with the given secrets and key-shaped strings masked, cut to ``limit`` chars."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    text = _BEARER.sub("Bearer " + HIDDEN, text)
    text = _SK_KEY.sub(HIDDEN, text)
    text = _KEY_SETTING.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _URL_USERINFO.sub("", text)
    return text if limit is None or len(text) <= limit else text[:limit] + "..."


def strip_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` part (for cache keys, errors and logs)."""
    if "@" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit  # 3.5 ms to import: only for a URL that has userinfo

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def url_secrets(url: str | None) -> tuple[str, ...]:
    """What to hide of ``url`` in messages: its ``user:password`` and the password alone (as
    written and unquoted, a password of at least 4 characters: shorter ones would mask prose)."""
    userinfo = url_credentials(url)
    if not userinfo:
        return ()
    from urllib.parse import unquote

    password = userinfo.partition(":")[2]
    found = [userinfo, unquote(userinfo), *((password, unquote(password)) if len(password) >= 4 else ())]
    return tuple(sorted(set(found), key=len, reverse=True))


def url_credentials(url: str | None) -> str | None:
    """The ``user:password`` part of ``url`` (a secret to redact wherever the URL's host appears)."""
    if not url or "@" not in url:
        return None
    from urllib.parse import urlsplit

    netloc = urlsplit(url).netloc
    return netloc.rsplit("@", 1)[0] if "@" in netloc else None
