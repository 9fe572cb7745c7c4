"""What dspex raises inside a layer call, as the DSPy error a DSPy program catches.

DSPy projects its engine's failures onto its public classes once, where a call leaves its engine
(``dspy.clients.errors``): an HTTP 429 is an ``LMRateLimitError``, a 5xx an ``LMServerError``, a
connection failure an ``LMTransportError``, an unparseable reply an ``AdapterParseError``. The
layer does the same where a call leaves dspex (a ``Predict``'s call, a ``dspy.LM``'s direct call),
so ``except dspy.LMRateLimitError`` and ``except dspy.utils.exceptions.AdapterParseError`` catch
what native raised. The DSPy error is raised from dspex's (its ``__cause__``), keeps its message,
and says how many attempts were made (``attempts``). Errors that are not the LM's or the reply's
(``CapabilityError``, ``InputError``, a budget) pass unchanged, as do DSPy's own classes a user's
custom LM raised.
"""

from __future__ import annotations

from typing import Any, NoReturn

import dspex_core

import dspex_compat._dspy_errors as errors

__all__ = ["dspy_error", "raise_as_dspy"]


def _by_status(status: int | None) -> type:
    """lm15's ``map_http_error``: the DSPy class of a provider's HTTP status (``None``: no reply)."""
    if status is None:
        return errors.LMTransportError
    if status in (401, 403):
        return errors.LMAuthError
    if status == 402:
        return errors.LMBillingError
    if status in (408, 504):
        return errors.LMTimeoutError
    if status == 429:
        return errors.LMRateLimitError
    if status in (400, 404, 409, 413, 422):
        return errors.LMInvalidRequestError
    if 500 <= status <= 599:
        return errors.LMServerError
    return errors.LMProviderError


def dspy_error(exc: BaseException, *, signature: Any = None, adapter: Any = None) -> BaseException:
    """The DSPy error for ``exc`` (``exc`` itself when DSPy has no class for it or it is DSPy's
    already); ``signature`` and ``adapter`` name a parse failure's signature and adapter."""
    if isinstance(exc, errors.DSPyError) or not isinstance(exc, dspex_core.DspexError):
        return exc
    if isinstance(exc, dspex_core.AdapterParseError):
        made = errors.AdapterParseError.__new__(errors.AdapterParseError)
        Exception.__init__(made, *exc.args)  # dspex's message, which quotes the reply as DSPy's does
        made.__dict__.update(vars(exc))
        # the adapter whose parse failed: JSONAdapter after the ChatAdapter's JSON retry, as in DSPy
        failed = exc.details.get("adapter") if isinstance(exc.details, dict) else None
        made.adapter_name = failed or (type(adapter).__name__ if adapter is not None else "ChatAdapter")
        made.signature = signature
        made.lm_response = exc.raw
        made.parsed_result = None
        made.message = str(exc)
        made.code = made.default_code
        made.model = made.provider = made.provider_code = made.status = made.request_id = made.retry_after = None
        return made
    if not isinstance(exc, dspex_core.LMError):
        return exc
    model = exc.model or None
    provider = model.split("/", 1)[0] if model and "/" in model else None
    if isinstance(exc, dspex_core.ContextWindowExceededError):
        made = errors.ContextWindowExceededError(model=model, message=str(exc), provider=provider, status=exc.status)
    else:
        cls = errors.LMTimeoutError if isinstance(exc, dspex_core.LMTimeoutError) else _by_status(exc.status)
        made = cls(str(exc), model=model, provider=provider, status=exc.status)
    made.attempts = exc.attempts
    return made


def raise_as_dspy(exc: BaseException, *, signature: Any = None, adapter: Any = None) -> NoReturn:
    """Raise :func:`dspy_error` of ``exc`` from it (``exc`` itself when it stays), in an ``except``
    block where a call leaves dspex."""
    error = dspy_error(exc, signature=signature, adapter=adapter)
    if error is exc:
        raise exc
    raise error from exc
