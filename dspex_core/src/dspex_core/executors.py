"""Executors run many module calls at once (evaluation, optimizers, batch runs).

The contract, which plugins implement through the ``dspex_register_executors`` hook:
``map(fn, items, *, max_workers) -> list`` returns one entry per item, in order; an item
whose call raised yields an :class:`ExecutorFailure` instead of stopping the others.
``amap`` is the asyncio twin. dspex ships the ``"threads"`` executor below; each worker
thread starts from a copy of the caller's context, so ``dspex.context(...)`` settings and
the current session carry over.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Iterable


class ExecutorFailure:
    """Stands in the result list for an item whose call raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error

    def __repr__(self) -> str:
        return f"ExecutorFailure({self.error!r})"


class ThreadExecutor:
    """Runs calls on a thread pool (the right tool for I/O-bound LM calls).

    ``max_workers`` threads each take the next item until none is left (one task per worker,
    not one future per item: with many short items, per-item futures cost more than the
    items). Every item runs in its own copy of the caller's context.
    """

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, max_workers: int = 8,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        items = list(items)
        results: list[Any] = [None] * len(items)
        if not items:
            return results

        def run(index: int, item: Any, ctx: contextvars.Context) -> None:
            try:
                results[index] = ctx.run(fn, item)
            except Exception as exc:  # noqa: BLE001 - reported per item
                results[index] = ExecutorFailure(exc)
            if on_result is not None:
                on_result(index, results[index])

        workers = max(1, min(max_workers, len(items)))
        if workers == 1:
            for index, item in enumerate(items):
                run(index, item, contextvars.copy_context())
            return results
        caller = contextvars.copy_context()
        pending = iter(range(len(items)))
        lock = threading.Lock()
        stopped: list[BaseException] = []

        def worker() -> None:
            while not stopped:
                with lock:
                    index = next(pending, None)
                if index is None:
                    return
                try:
                    run(index, items[index], caller.copy())
                except BaseException as exc:  # on_result raised, or the call did (not an Exception)
                    stopped.append(exc)
                    raise

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dspex") as pool:
            futures = [pool.submit(worker) for _ in range(workers)]
            for future in futures:
                future.exception()  # wait for every worker before raising the first error
        if stopped:
            raise stopped[0]
        return results

    async def amap(self, fn: Callable[[Any], Awaitable[Any]], items: Iterable[Any], *, max_workers: int = 8,
                   on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        items = list(items)
        results: list[Any] = [None] * len(items)
        gate = asyncio.Semaphore(max(1, max_workers))

        async def run(index: int, item: Any) -> None:
            async with gate:
                try:
                    results[index] = await fn(item)
                except Exception as exc:  # noqa: BLE001
                    results[index] = ExecutorFailure(exc)
            if on_result is not None:
                on_result(index, results[index])

        await asyncio.gather(*(run(i, item) for i, item in enumerate(items)))
        return results
