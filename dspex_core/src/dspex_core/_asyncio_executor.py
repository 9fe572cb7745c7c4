"""The ``asyncio`` executor: many calls on one event loop, for backends that await their LM.

Where the threads executor gives each call a thread, this one gives each a task: a native
module's ``aexecute`` waits on its HTTP request without holding a thread, so hundreds of calls
in flight cost hundreds of tasks, not hundreds of threads. ``run(work, ...)`` (what
``dspex.map`` and native ``evaluate`` use) awaits the work's async twin; ``map(fn, ...)`` takes
any function, awaiting what it returns when that is awaitable and running a plain function
in a worker thread (sync code cannot be made to yield). Called from a thread whose event loop
is running (a notebook cell), the loop of this executor runs in a helper thread instead, since
one loop cannot be re-entered.
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable, Iterable

from dspex_core._thread_executor import ExecutorFailure, ThreadExecutor
from dspex_core.usage import share_with_workers


class AsyncioExecutor:
    """Runs calls as asyncio tasks on a fresh event loop, ``max_workers`` at a time."""

    DEFAULT_WORKERS = 8

    def __init__(self, max_workers: int | None = None) -> None:
        ThreadExecutor(max_workers)  # the same check of the option, and the same message
        self.max_workers = max_workers or self.DEFAULT_WORKERS

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, max_workers: int | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """``fn`` on every item: awaited when it returns an awaitable, in a worker thread otherwise."""
        import asyncio
        import inspect

        if inspect.iscoroutinefunction(fn):
            call = fn
        else:
            async def call(item: Any) -> Any:
                return await asyncio.to_thread(fn, item)
        return self._run_loop(call, list(items), max_workers, on_result)

    def run(self, work: Any, items: Iterable[Any], *, max_workers: int | None = None,
            on_result: Callable[[int, Any], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> list[Any]:
        """``work.acall(item)`` for every item (the module's ``aexecute``: no thread per call)."""
        acall = work.acall

        async def call(item: Any) -> Any:
            if cancelled is not None and cancelled():
                return None
            return await acall(item)

        return self._run_loop(call, list(items), max_workers, on_result)

    async def amap(self, fn: Callable[[Any], Any], items: Iterable[Any], *, max_workers: int | None = None,
                   on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """The caller's loop runs the calls (``fn`` returns awaitables)."""
        return await _gather(fn, list(items), max_workers or self.max_workers, on_result)

    def _run_loop(self, call: Callable[[Any], Any], items: list[Any], max_workers: int | None,
                  on_result: Callable[[int, Any], None] | None) -> list[Any]:
        import asyncio

        workers = max_workers or self.max_workers
        share_with_workers()  # the items' LM usage counts toward the calling module's prediction
        context = contextvars.copy_context()  # dspex.context(...) and the session reach every task

        def main() -> list[Any]:
            return asyncio.run(_gather(call, items, workers, on_result))

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return context.run(main)
        import threading

        box: list[Any] = []

        def helper() -> None:
            try:
                box.append(("ok", context.run(main)))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box.append(("error", exc))

        thread = threading.Thread(target=helper, name="dspex-asyncio", daemon=True)
        thread.start()
        thread.join()
        kind, value = box[0]
        if kind == "error":
            raise value
        return value


async def _gather(call: Callable[[Any], Any], items: list[Any], workers: int,
                  on_result: Callable[[int, Any], None] | None) -> list[Any]:
    import asyncio

    results: list[Any] = [None] * len(items)
    gate = asyncio.Semaphore(max(1, workers))

    async def one(index: int, item: Any) -> None:
        async with gate:
            try:
                results[index] = await call(item)
            except Exception as exc:  # noqa: BLE001 - reported per item
                results[index] = ExecutorFailure(exc)
        if on_result is not None:
            on_result(index, results[index])

    await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    return results
