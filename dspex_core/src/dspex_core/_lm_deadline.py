"""How long one LM call may take, the same on every backend: ``timeout`` bounds the whole call.

An HTTP client's timeout (httpx's, LiteLLM's, dspy's own engine's) bounds each wait for the next
byte, not the reply: a server that trickles its answer a byte at a time, or a ``Retry-After:
3600`` honoured as sent, keeps a caller for as long as the server likes, and retries multiply
it. dspex's rule is that the LM setting ``timeout`` (seconds, default :data:`DEFAULT_TIMEOUT`,
``None`` for no limit) is the longest one call takes: every attempt, every read of a reply that
is still arriving and every wait between attempts count against it. A backend starts a
:class:`Deadline` when the call starts and

* gives each attempt at most :meth:`Deadline.remaining` for each of its network waits, and
  stops reading a reply once the deadline has passed (a reply arriving byte by byte is cut
  off, not waited for);
* asks :meth:`Deadline.wait` before sleeping between attempts: a ``Retry-After`` is honoured up
  to ``retry_after_max`` (default :data:`RETRY_AFTER_MAX`), and a wait that would end after the
  deadline is not started: the call fails at once;
* fails with :class:`~dspex_core.errors.LMTimeoutError` (an ``LMError``) naming the model, the
  number of attempts, the last status and the timeout (:meth:`Deadline.error`);
* runs an async attempt under :func:`async_timeout` (``asyncio.timeout``, also on Python 3.10).

Backends use this module as ``dspex_core.backend.lm_deadline``.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from typing import Any, Iterator

from dspex_core import config
from dspex_core._async_timeout import async_timeout
from dspex_core._timeout_profiles import DEFAULT_PROFILES, INFERENCE
from dspex_core.errors import InputError, LMTimeoutError

#: Seconds one LM call may take when its LM sets no ``timeout`` (LiteLLM's default request timeout).
DEFAULT_TIMEOUT = DEFAULT_PROFILES[INFERENCE]
#: The longest ``Retry-After`` honoured, in seconds; a server asking for more gets this much.
RETRY_AFTER_MAX = 60.0


#: What a backend passes to :func:`check_timeout` for an LM call that sets no ``timeout``: the
#: ``inference`` profile (:data:`DEFAULT_TIMEOUT` unless configured otherwise).
DEFAULT_PROFILE = INFERENCE


def profile(name: str) -> float | None:
    """The seconds of the timeout profile ``name`` in force here (``dspex.configure(timeout_profiles=...)``);
    an unknown name is an :class:`~dspex_core.errors.InputError` listing the profiles."""
    profiles = config.settings().timeout_profiles
    try:
        return profiles[name]
    except KeyError:
        known = ", ".join(f"{k} ({'no limit' if v is None else f'{v:g} s'})" for k, v in profiles.items())
        raise InputError(f"timeout must be a positive number of seconds or None, or the name of a timeout "
                         f"profile; {name!r} is not one (the profiles: {known}; "
                         f"dspex.configure(timeout_profiles={{...}}) adds or changes one)") from None


def check_timeout(value: Any) -> float | None:
    """``timeout`` as seconds (``None``: no limit); a string names a profile (:func:`profile`);
    anything but a positive finite number is an :class:`~dspex_core.errors.InputError`."""
    if value is None:
        return None
    if isinstance(value, str):
        return profile(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"timeout must be a positive number of seconds or None, got {value!r}")
    return float(value)


def check_retry_after_max(value: Any) -> float:
    """``retry_after_max`` as seconds (``0`` honours no ``Retry-After`` wait at all)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"retry_after_max must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value < 10 else f"{value:.0f} s"


def _plural(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


#: The end of the module call running here (``ref(..., timeout=...)``): ``(monotonic end, its
#: timeout)``, or ``None``. Every LM call started inside ends by then at the latest.
_call_end: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("dspex_call_end", default=None)


@contextlib.contextmanager
def call_deadline(timeout: Any) -> Iterator[None]:
    """Bound every LM call made inside the block (in this thread or task, and in the workers a
    module starts with a copy of its context) by one end, ``timeout`` seconds (or a profile's)
    from now; a nested block can only shorten it. ``None`` adds no bound."""
    seconds = check_timeout(timeout)
    if seconds is None:
        yield
        return
    end = time.monotonic() + seconds
    outer = _call_end.get()
    token = _call_end.set((end, seconds) if outer is None or end < outer[0] else outer)
    try:
        yield
    finally:
        _call_end.reset(token)


class Deadline:
    """The end of one LM call: started with the call, asked before every network wait and sleep.

    ``timeout`` is the call's (``None``: no deadline, every method then allows everything);
    ``model`` and ``where`` (the endpoint without credentials, or ``""``) go into the error.
    Inside a module call given ``timeout=`` (:func:`call_deadline`), the call ends by the module
    call's end if that comes first; ``bound_by_call`` says so and the error names it.
    """

    __slots__ = ("timeout", "model", "where", "end", "bound_by_call")

    def __init__(self, timeout: float | None, model: str, where: str = ""):
        self.timeout = timeout
        self.model = model
        self.where = where
        self.end = None if timeout is None else time.monotonic() + timeout
        self.bound_by_call: float | None = None
        ambient = _call_end.get()
        if ambient is not None and (self.end is None or ambient[0] < self.end):
            self.end, self.bound_by_call = ambient[0], ambient[1]

    def remaining(self) -> float | None:
        """Seconds left (``0.0`` once passed), or ``None`` without a deadline."""
        if self.end is None:
            return None
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return self.end is not None and time.monotonic() >= self.end

    def wait(self, delay: float, *, attempts: int, status: int | None, reason: str,
             retry_after: float | None = None) -> float:
        """The seconds to sleep before the next attempt: ``delay`` (a ``Retry-After`` already
        capped), unless that sleep would end after the deadline; then the
        :class:`~dspex_core.errors.LMTimeoutError` to raise (``retry_after``, the server's own
        value, is named in it)."""
        left = self.remaining()
        if left is None or delay < left:
            return delay
        if retry_after is not None:
            reason = (f"{reason}; the server asked to wait {_seconds(retry_after)} before retrying (Retry-After), "
                      f"and {_seconds(delay)} is more than the {_seconds(left)} left")
        elif left > 0:
            reason = f"{reason}; the wait before the next attempt ({_seconds(delay)}) is more than the time left"
        raise self.error(attempts=attempts, status=status, reason=reason)

    def error(self, *, attempts: int, status: int | None, reason: str) -> LMTimeoutError:
        """The error of a call that ran out of time after ``attempts`` attempts."""
        where = f" at {self.where}" if self.where else ""
        if self.bound_by_call is not None:
            limit = f"the module call's timeout={self.bound_by_call:g} s"
        else:
            limit = "no timeout" if self.timeout is None else f"timeout={self.timeout:g} s"
        return LMTimeoutError(
            f"LM call to {self.model!r}{where} timed out after {_plural(attempts)} ({limit} bounds the whole call, "
            f"retries and waits included; last status: {status if status is not None else 'none'}): {reason}",
            model=self.model, status=status, attempts=attempts)
