"""``lm_deadline.async_timeout``: ``asyncio.timeout`` on every supported Python (a stand-in on 3.10).

Both backends' async LM calls run under it and catch the built-in ``TimeoutError`` (3.10's
``asyncio.TimeoutError`` is another class); the stand-in is checked on every Python, the
function on the one running (tox runs tests/core on 3.10 to 3.13).
"""

from __future__ import annotations

import asyncio

import pytest
from dspex_core._async_timeout import _Timeout
from dspex_core.backend import lm_deadline

BOUNDS = [pytest.param(lm_deadline.async_timeout, id="async_timeout"), pytest.param(_Timeout, id="stand-in")]


@pytest.mark.parametrize("bound", BOUNDS)
def test_a_block_past_its_delay_ends_in_the_builtin_timeout_error(bound):
    async def main():
        with pytest.raises(TimeoutError) as info:
            async with bound(0.01) as scope:
                await asyncio.sleep(60)
        return scope, info.value

    scope, error = asyncio.run(main())
    assert scope.expired() and type(error) is TimeoutError


@pytest.mark.parametrize("bound", BOUNDS)
def test_a_block_within_its_delay_or_without_one_is_untouched(bound):
    async def main():
        async with bound(60) as scope:
            await asyncio.sleep(0)
        async with bound(None) as unbounded:
            await asyncio.sleep(0)
        return scope, unbounded

    scope, unbounded = asyncio.run(main())
    assert not scope.expired() and not unbounded.expired()


@pytest.mark.parametrize("bound", BOUNDS)
def test_a_cancellation_from_elsewhere_stays_a_cancellation(bound):
    async def inner(started):
        async with bound(60):
            started.set()
            await asyncio.sleep(60)

    async def main():
        started = asyncio.Event()
        task = asyncio.ensure_future(inner(started))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
