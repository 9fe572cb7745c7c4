"""Recognising a provider's "the prompt does not fit the context window" answer.

DSPy (through LiteLLM) turns such an answer into ``ContextWindowExceededError``, which agents
catch to shorten their trajectory and try again; the native client raises dspex's
:class:`~dspex_core.errors.ContextWindowExceededError` for the same answers, and never retries
them (the same request would not fit the next time either). Recognised: OpenAI's error code
``context_length_exceeded`` (in the error object or anywhere in the body) and the messages
LiteLLM's exception mapping (``ExceptionCheckers.is_error_str_context_window_exceeded`` and its
provider-specific checks) treats as a context-window error; a rate-limit answer (429) never is.
"""

from __future__ import annotations

import re
from typing import Any

CODE = "context_length_exceeded"
#: LiteLLM's substrings (matched on the lower-cased error text).
_SUBSTRINGS = (
    "exceed context limit",
    "this model's maximum context length is",
    "requested token count exceeds the model's maximum context length",
    "string too long. expected a string with maximum length",
    "model's maximum context limit",
    "is longer than the model's context length",
    "input tokens exceed the configured limit",
    "`inputs` tokens + `max_new_tokens` must be",
    "exceeds the available context size",
    "exceeds the maximum number of tokens allowed",
    '"code": "context_length_exceeded"',
    "prompt is too long",
    "input is too long",
    "this is longer than the model's maximum context length",
)
#: LiteLLM's pairs of substrings that together mean the same.
_PAIRS = (
    ("current length is", "while limit is"),
    ("maximum input length is", "tokens"),
    ("input too long:", "input tokens, limit is"),
)
#: LiteLLM's exclusions: parameter validation errors that only look alike.
_NOT = ("string_above_max_length",)
_CODE_PATTERN = re.compile(r"""\\?["']code\\?["']\s*:\s*\\?["']context_length_exceeded\\?["']""")


def is_context_window_exceeded(status: int | None, body: str, error: Any = None) -> bool:
    """Whether an error answer (``status``, the body's text, the parsed ``error`` object if any)
    says that the request does not fit the model's context window."""
    if status == 429:
        return False
    if isinstance(error, dict) and (error.get("code") == CODE or error.get("type") == CODE):
        return True
    text = body.lower()
    if any(marker in text for marker in _NOT):
        return False
    if "invalid 'user'" in text and "string too long" in text:
        return False
    if _CODE_PATTERN.search(body) is not None:
        return True
    return any(s in text for s in _SUBSTRINGS) or any(a in text and b in text for a, b in _PAIRS)


def in_response(status: int, content: bytes) -> bool:
    """:func:`is_context_window_exceeded` for an HTTP error answer's raw body."""
    text = content.decode("utf-8", "replace")
    error = None
    if CODE in text or "{" in text:
        import json

        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            error = data.get("error", data)
    return is_context_window_exceeded(status, text, error)
