"""Driving a ``parallel`` run on the event loop: one task per example, ``num_threads`` at a time.

The async twin of :mod:`.threads`, with the same rules: each task runs in a copy of the
caller's context (``dspex.context(...)`` settings reach every call), a straggler is started
once more (beside the ``num_threads`` slots), and the run ends as soon as every example is
decided or ``max_errors`` is reached. Tasks rather than the executor's ``amap``, because
``amap`` waits for every item: here the calls still running when the run ends (a
straggler's slower twin, the calls in flight when ``max_errors`` is reached) are cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from dspex_native.parallel.run import Run


async def run_in_tasks(run: Run, call: Callable[[dict[str, Any]], Awaitable[Any]], inputs: list[dict[str, Any]],
                       num_threads: int) -> None:
    """Await ``call`` on every entry of ``inputs``; outcomes go to ``run``."""
    slots = asyncio.Semaphore(num_threads)

    async def attempt(index: int) -> None:
        if not run.start(index):
            return
        try:
            prediction = await call(inputs[index])
        except Exception as exc:  # noqa: BLE001 - the example's outcome, counted against max_errors
            run.failed(index, exc)
        else:
            run.succeeded(index, prediction)

    async def work(index: int) -> None:
        async with slots:
            await attempt(index)

    pending = {asyncio.ensure_future(work(index)) for index in range(len(inputs))}
    try:
        while pending:
            with run.cond:
                if run.over():
                    break
                due, wait = run.stragglers()
            pending.update(asyncio.ensure_future(attempt(index)) for index in due)
            _, pending = await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        run.cancel()
        raise
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
