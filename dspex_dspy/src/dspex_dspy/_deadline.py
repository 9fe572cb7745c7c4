"""``DeadlineLM``: the ``dspy.LM`` whose ``timeout`` bounds the whole call, as on the native backend.

dspy 3.4 bounds each network wait of an attempt (its engine's read timeout is per read, like
httpx's), retries up to ``num_retries`` times and sleeps whatever ``Retry-After`` a server sends:
a reply trickled a byte at a time, a hanging server retried, or ``Retry-After: 3600`` keep the
caller far past its ``timeout``. dspex's rule (``dspex_core.backend.lm_deadline``, shared with the
native client) is that ``timeout`` (default 600 s) bounds the call, every attempt and wait
included, and that ``Retry-After`` is honoured up to ``retry_after_max`` (default 60 s). dspy has
no setting for either, so:

* a call starts a :class:`~dspex_core.backend.lm_deadline.Deadline` and keeps it in a context
  variable for the duration of the call (only calls through this class see it; dspy used
  directly is unchanged);
* dspy's wait between attempts (``dspy.clients.execution._delay``) is wrapped: with a deadline
  in the context it caps ``Retry-After`` and refuses a wait that would end after the deadline,
  failing the call at once with :class:`~dspex_core.errors.LMTimeoutError`;
* dspy's own HTTP engine (lm15's ``StdlibTransport.stream``, the synchronous transport) is
  wrapped: each request's connect, write and read timeouts become the time left, and the reply
  stops being read once the deadline has passed (the connection is dropped);
* an async call runs under ``asyncio.timeout`` (``lm_deadline.async_timeout``) with the time left, which cancels whatever dspy
  is doing (its async engine, LiteLLM, a sleep) at the deadline.

Known limit: a synchronous request dspy sends through LiteLLM instead of its own engine (a
setting its engine cannot carry) is bounded per read and between attempts, not mid-reply.
Every wrapped name is checked at import; if a dspy release moves one, :data:`HOOKED` says so
(the tests check it) and calls keep only the bounds that do not need it.

The error never quotes dspy's: it names the model, the attempts, the last status and dspy's
error class, so no echoed credential can reach it, and it carries no exception chain.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
from typing import Any

import dspy
from dspex_core.backend import lm_deadline
from dspex_core.errors import LMTimeoutError
from dspy.utils.exceptions import LMError as DspyLMError

logger = logging.getLogger("dspex_dspy.lm")

CUT_OFF = "the reply had not arrived (in full) when the time was up"


@dataclasses.dataclass
class _Call:
    """One call in flight: its deadline, its ``Retry-After`` cap and the attempts that failed."""

    deadline: lm_deadline.Deadline
    retry_after_max: float
    failed: int = 0


_current: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("dspex_dspy_lm_call", default=None)


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _reason(error: BaseException) -> str:
    """What failed, without dspy's message (which may quote a provider's echo of the key)."""
    status = _status(error)
    return f"{type(error).__name__} ({f'HTTP {status}' if status is not None else 'no complete reply'})"


# -- the hooks into dspy ---------------------------------------------------------------------------

def _hook_delay() -> bool:
    """Wrap dspy's wait between attempts (looked up by name at each retry)."""
    from dspy.clients import execution
    from dspy.clients._http import finite_seconds

    original = getattr(execution, "_delay", None)
    if original is None or getattr(original, "_dspex_deadline", False):
        return original is not None

    def _delay(exc: Exception, attempt: int) -> float:
        call = _current.get()
        delay = original(exc, attempt)
        if call is None:
            return delay
        call.failed = attempt + 1
        hint = finite_seconds(getattr(exc, "retry_after", None))
        if hint is not None:
            delay = min(hint, call.retry_after_max)
        return call.deadline.wait(delay, attempts=attempt + 1, status=_status(exc), reason=_reason(exc),
                                  retry_after=hint)

    _delay._dspex_deadline = True  # type: ignore[attr-defined]
    execution._delay = _delay
    return True


def _until(chunks: Any, deadline: lm_deadline.Deadline, timeout_error: type[Exception]) -> Any:
    """The reply's body chunks, cut off once the deadline has passed."""
    try:
        for chunk in chunks:
            yield chunk
            if deadline.expired():
                raise timeout_error(f"{CUT_OFF} (the call's timeout bounds the whole call)")
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _hook_transport() -> bool:
    """Wrap the synchronous transport of dspy's own HTTP engine (lm15)."""
    from dspy._vendor.lm15.transports import _sync
    from dspy._vendor.lm15.transports._exceptions import ReadTimeout

    transport = getattr(_sync, "StdlibTransport", None)
    original = getattr(transport, "stream", None)
    if original is None or getattr(original, "_dspex_deadline", False):
        return original is not None

    def stream(self: Any, request: Any) -> Any:
        call = _current.get()
        left = None if call is None else call.deadline.remaining()
        if left is None:
            return original(self, request)
        if left <= 0:
            raise ReadTimeout(f"{CUT_OFF} (the call's timeout bounds the whole call)")
        bounded = {name: min(getattr(request, name, None) or getattr(self, f"_{name}", None) or left, left)
                   for name in ("connect_timeout", "read_timeout", "write_timeout")}
        response = original(self, dataclasses.replace(request, **bounded))
        response._chunks = _until(response._chunks, call.deadline, ReadTimeout)
        return response

    stream._dspex_deadline = True  # type: ignore[attr-defined]
    transport.stream = stream
    return True


def _install() -> dict[str, bool]:
    hooked = {}
    for name, hook in (("retry wait", _hook_delay), ("sync transport", _hook_transport)):
        try:
            hooked[name] = hook()
        except (ImportError, AttributeError, TypeError):
            hooked[name] = False
        if not hooked[name]:
            logger.warning("dspex_dspy: this dspy (%s) has no %s to bound; an LM call's timeout bounds less of it",
                           getattr(dspy, "__version__", "?"), name)
    return hooked


#: Which dspy internals carry the deadline (all ``True`` on the dspy versions dspex supports).
HOOKED = _install()


# -- the LM ----------------------------------------------------------------------------------------

class DeadlineLM(dspy.LM):
    """``dspy.LM`` whose calls end by their ``timeout`` (see the module docstring).

    ``retry_after_max`` (seconds, default 60) is the longest ``Retry-After`` honoured; it is
    dspex's setting, never sent to the provider.
    """

    def __init__(self, model: str, *args: Any, retry_after_max: Any = lm_deadline.RETRY_AFTER_MAX, **kwargs: Any):
        #: a ``timeout`` given as a profile's name, resolved again at every call (dspy itself is
        #: handed seconds: it would pass the name on to the provider's client)
        self._timeout_profile = kwargs["timeout"] if isinstance(kwargs.get("timeout"), str) else None
        seconds = lm_deadline.check_timeout(kwargs.get("timeout"))
        if self._timeout_profile is not None:
            kwargs["timeout"] = seconds
        super().__init__(model, *args, **kwargs)
        self.retry_after_max = lm_deadline.check_retry_after_max(retry_after_max)

    def _start(self, kwargs: dict[str, Any]) -> _Call:
        """The call's deadline; a timeout named by profile (``"batch"``, the call's or the LM's) is
        resolved now, and dspy is handed the seconds."""
        if "timeout" in kwargs:
            named = kwargs["timeout"]
        else:  # the LM's (``None``: no limit), else the inference profile
            named = getattr(self, "_timeout_profile", None) or self.kwargs.get("timeout", lm_deadline.DEFAULT_PROFILE)
        timeout = lm_deadline.check_timeout(named)
        if isinstance(named, str) and ("timeout" in kwargs or "timeout" in self.kwargs):
            kwargs["timeout"] = timeout  # a profile's name as seconds (dspy would pass the name on)
        deadline = lm_deadline.Deadline(timeout, self.model)
        return _Call(deadline, getattr(self, "retry_after_max", lm_deadline.RETRY_AFTER_MAX))

    @staticmethod
    def _timed_out(call: _Call, error: BaseException) -> LMTimeoutError | None:
        """The timeout error for ``error`` once the deadline has passed (else ``None``)."""
        if isinstance(error, LMTimeoutError):
            return error
        if isinstance(error, DspyLMError) and call.deadline.expired():
            return call.deadline.error(attempts=call.failed + 1, status=_status(error), reason=_reason(error))
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        call = self._start(kwargs)
        token = _current.set(call)
        failure = None
        try:
            return super().__call__(*args, **kwargs)
        except (LMTimeoutError, DspyLMError) as exc:
            failure = self._timed_out(call, exc)
            if failure is None:
                exc.dspex_attempts = call.failed + 1  # what the backend's LMError states (dspex_dspy._errors)
                raise
        finally:
            _current.reset(token)
        failure.__context__ = None
        raise failure

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        call = self._start(kwargs)
        token = _current.set(call)
        failure = None
        try:
            async with lm_deadline.async_timeout(call.deadline.remaining()) as bound:
                return await super().acall(*args, **kwargs)
        except (LMTimeoutError, DspyLMError) as exc:  # before TimeoutError: an LMTimeoutError is one
            failure = self._timed_out(call, exc)
            if failure is None:
                exc.dspex_attempts = call.failed + 1  # what the backend's LMError states (dspex_dspy._errors)
                raise
        except TimeoutError:
            if not bound.expired():
                raise
            failure = call.deadline.error(attempts=call.failed + 1, status=None, reason=CUT_OFF)
        finally:
            _current.reset(token)
        failure.__context__ = None
        raise failure
