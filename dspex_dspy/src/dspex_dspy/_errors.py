"""dspy's errors as dspex's, so that callers catch one set of error classes whatever the backend.

A parse failure keeps the raw reply (:class:`~dspex_core.errors.AdapterParseError`), an LM
failure its model, last status and attempts, in its message as the native client words them
(:class:`~dspex_core.errors.LMError`; a prompt that does not fit the
context window is its :class:`~dspex_core.errors.ContextWindowExceededError`, as on the native
backend). dspy's refusal of a hosted provider with no key, before any request, is the
:class:`~dspex_core.errors.ConfigError` the native backend raises for it (the user's
configuration, exit status 2 on the command line). Anything else passes through unchanged.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import credentials, redact
from dspex_core.errors import AdapterParseError, ConfigError, ContextWindowExceededError, LMError
from dspy.utils import exceptions as dspy_errors

from dspex_dspy._redacting_lm import lm_secrets


def translate_error(exc: Any, *lms: Any) -> Exception:
    """dspy's errors as dspex's: parse failures keep the raw reply, LM failures their status.

    An LM failure's text passes through :func:`dspex_core.backend.redact` with the keys and
    URL credentials of the dspy LMs in play (``lms``; a compile may use several): providers
    echo keys in 401 messages, connection errors name ``user:password@host``. (The caller
    raises the result ``from None``, so the unredacted original is not chained onto it.)
    """
    if isinstance(exc, dspy_errors.AdapterParseError):
        fields = ", ".join(getattr(exc.signature, "output_fields", {}) or ())
        return AdapterParseError(f"{exc.adapter_name} could not parse the LM reply into the output fields ({fields})",
                                 raw=str(exc.lm_response), details=exc)
    if isinstance(exc, dspy_errors.LMNotConfiguredError) and _is_missing_key(exc):
        model = exc.model or next((getattr(lm, "model", "") for lm in lms if lm is not None), "") or ""
        secrets = [secret for lm in lms for secret in lm_secrets(lm)]
        detail = redact(str(exc).strip().splitlines()[0], *secrets, limit=400)
        return credentials.missing_key_error(model, model.partition("/")[0], f" (dspy: {detail})")
    if isinstance(exc, dspy_errors.LMError):
        secrets = [secret for lm in lms for secret in lm_secrets(lm)]
        kind = ContextWindowExceededError if isinstance(exc, dspy_errors.ContextWindowExceededError) else LMError
        model = exc.model or next((getattr(lm, "model", "") for lm in lms if lm is not None), "") or ""
        attempts = attempts_of(exc)
        status = exc.status if exc.status is not None else "none"
        return kind(redact(f"LM call to {model!r} failed after {attempts} attempt{'s' if attempts != 1 else ''} "
                           f"(last status: {status}): {type(exc).__name__}: {exc}", *secrets, limit=2000),
                    model=model, status=exc.status, attempts=attempts)
    return exc


def _is_missing_key(exc: Any) -> bool:
    """dspy's "no API key found" (raised before any request), not another missing setting."""
    text = str(exc).lower()
    return "no api key" in text or "no credential" in text


def attempts_of(exc: Any) -> int:
    """How many attempts the failed call made: what the backend's LM counted
    (:class:`~dspex_dspy._deadline.DeadlineLM`: dspy's retries), else one (a custom LM object,
    which dspy does not retry)."""
    attempts = getattr(exc, "dspex_attempts", None)
    return attempts if isinstance(attempts, int) and attempts >= 1 else 1


def raise_translated(exc: Exception, *lms: Any) -> None:
    """Raise :func:`translate_error`'s version of ``exc`` when it has one (an LM failure without
    its chain, whose text may hold the key); return when ``exc`` stays as it is."""
    translated = translate_error(exc, *lms)
    if translated is exc:
        return
    if isinstance(translated, (LMError, ConfigError)):  # no chain: its text may hold the key
        raise translated from None
    raise translated from exc
