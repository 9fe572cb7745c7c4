"""``asyncio.timeout`` on every Python dspex supports, for the backends' bounded LM calls.

Python 3.11 added ``asyncio.timeout`` (a block cancelled at a deadline, ending in the built-in
``TimeoutError``, its context manager able to say whether it was the deadline that struck).
On 3.10 this module gives the same shape: the block's task is cancelled when the delay runs
out, the cancellation becomes ``TimeoutError`` (not 3.10's separate ``asyncio.TimeoutError``,
which callers written for 3.11 would not catch), and :meth:`expired` tells it apart from a
cancellation that came from elsewhere. asyncio is imported on first use, as everywhere in the
core (``import dspex_core`` stays cheap). Backends use it as
``dspex_core.backend.lm_deadline.async_timeout``.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio


class _Timeout:
    """The 3.10 stand-in: cancels the task running the block after ``delay`` seconds."""

    def __init__(self, delay: float | None) -> None:
        self._delay = delay
        self._expired = False
        self._handle: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> _Timeout:
        import asyncio

        if self._delay is not None:
            task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            if task is None:
                raise RuntimeError("async_timeout() must be used inside a task")
            self._handle = loop.call_later(max(self._delay, 0.0), self._fire, task)
        return self

    def _fire(self, task: asyncio.Task[Any]) -> None:
        self._expired = True
        task.cancel()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.cancel()
        import asyncio

        if self._expired and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc

    def expired(self) -> bool:
        """Whether the deadline struck (as ``asyncio.Timeout.expired()``)."""
        return self._expired


def async_timeout(delay: float | None) -> Any:
    """An async context manager bounding its block to ``delay`` seconds (``None``: no bound);
    ``asyncio.timeout`` where Python has it."""
    if sys.version_info >= (3, 11):
        import asyncio

        return asyncio.timeout(delay)
    return _Timeout(delay)
