"""Recognising a provider's "the prompt does not fit the context window" answer.

DSPy turns such an answer into ``ContextWindowExceededError``, which agents catch to shorten their
trajectory and try again; the native client raises dspex's
:class:`~dspex_core.errors.ContextWindowExceededError` for the same answers, and never retries
them (the same request would not fit the next time either). Which answers those are depends on
dspy's route, as the other rules of a request do:

* on dspy's own engine (lm15), its providers' ``normalize_error`` rules: for OpenAI-style
  endpoints an error object whose ``code`` is ``context_length_exceeded`` (any other 400 is an
  invalid request, whatever its message says); for Anthropic's and Gemini's wires the error
  message's words (``prompt is too long``, ``context length``, a token limit exceeded, ...), at any
  status, as lm15 reads them;
* on LiteLLM's route, that code (in the error object or anywhere in the body) and the messages
  LiteLLM's exception mapping (``ExceptionCheckers.is_error_str_context_window_exceeded`` and its
  provider-specific checks) treats as a context-window error.

On LiteLLM's route a rate-limit answer (429) never is.
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


def _lm15_anthropic(message: str) -> bool:
    lowered = message.lower()
    return ("prompt is too long" in lowered or "too many tokens" in lowered or "context window" in lowered
            or "context length" in lowered or ("token" in lowered and ("limit" in lowered or "exceed" in lowered)))


def _lm15_gemini(message: str) -> bool:
    lowered = message.lower()
    return (("token" in lowered and ("limit" in lowered or "exceed" in lowered)) or "too long" in lowered
            or "context length" in lowered)


#: lm15's message rules, by the provider whose wire it speaks
_LM15_MESSAGE_RULES = {"anthropic": _lm15_anthropic, "gemini": _lm15_gemini}


def in_response(status: int, content: bytes, *, engine: str = "litellm") -> bool:
    """Whether an HTTP error answer's raw body says the prompt does not fit, by the rules of
    ``engine``: ``"litellm"`` (:func:`is_context_window_exceeded`), or lm15's for the wire it
    speaks, ``"openai"`` (the error object's ``code``), ``"anthropic"`` or ``"gemini"`` (its message)."""
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
    if engine == "litellm":
        return is_context_window_exceeded(status, text, error)
    if engine == "openai":
        return isinstance(error, dict) and error.get("code") == CODE
    if isinstance(error, dict):
        message = error.get("message", "")
    else:
        message = str(error) if error is not None else ""
    return _LM15_MESSAGE_RULES[engine](message if isinstance(message, str) else str(message))
