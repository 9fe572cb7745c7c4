"""DSPy's ``asyncify``: a sync program awaited, run on a worker thread with the caller's context.

The worker sees the caller's ``dspy.context`` overrides and dspex settings (``asyncio.to_thread``
copies the context); at most ``dspy.settings.async_max_workers`` such calls run at once per loop.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any, Awaitable, Callable

from dspex_compat._settings import settings

__all__ = ["asyncify"]

_limits: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]]" = \
    weakref.WeakKeyDictionary()


def _limiter() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    size = settings.async_max_workers
    found = _limits.get(loop)
    if found is None or found[0] != size:
        found = _limits[loop] = (size, asyncio.Semaphore(size))
    return found[1]


def asyncify(program: Any) -> Callable[..., Awaitable[Any]]:
    """An async function that runs ``program(*args, **kwargs)`` on a worker thread."""

    async def async_program(*args: Any, **kwargs: Any) -> Any:
        async with _limiter():
            return await asyncio.to_thread(functools.partial(program, *args, **kwargs))

    return async_program
