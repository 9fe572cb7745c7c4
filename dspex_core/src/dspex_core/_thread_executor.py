"""The ``threads`` executor, and the two rules every executor's results follow.

:class:`ThreadExecutor` runs calls on a thread pool, each in a copy of the caller's context, so
``dspex.context(...)`` settings and the current session carry over (the right tool for I/O-bound
LM calls in one process). :class:`ExecutorFailure` stands in a result list for an item whose call
raised; :func:`check_results` is what a caller that pairs results with its items runs first: an
executor that drops an item would otherwise shorten the pairing silently, and a score computed
over fewer examples looks like a better one. The contract itself is described in
:mod:`dspex_core.executors`.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Iterable, Sized

from dspex_core.usage import share_with_workers


class ExecutorFailure:
    """Stands in the result list for an item whose call raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error

    def __repr__(self) -> str:
        return f"ExecutorFailure({self.error!r})"


def check_results(executor: str, items: Sized, results: Any) -> list[Any]:
    """``results`` as a list, after checking the contract's one entry per item.

    Raises :class:`~dspex_core.errors.PluginError` naming ``executor`` (its registered name)
    when ``results`` is not a list or tuple or its length differs from ``len(items)``.
    """
    from dspex_core.errors import PluginError

    if not isinstance(results, (list, tuple)):
        raise PluginError(f"executor {executor!r} returned {type(results).__name__} from map(), not a list "
                          f"with one result per item")
    if len(results) != len(items):
        raise PluginError(f"executor {executor!r} returned {len(results)} results for {len(items)} items: "
                          f"an executor's map() must return one result per item, in order (a result left "
                          f"out would be paired with the wrong item or missed)")
    return list(results)


class ThreadExecutor:
    """Runs calls on a thread pool (the right tool for I/O-bound LM calls).

    ``max_workers`` threads each take the next item until none is left (one task per worker,
    not one future per item: with many short items, per-item futures cost more than the
    items). Every item runs in its own copy of the caller's context.
    """

    #: the number of workers when neither the caller nor ``executor_options`` gives one (DSPy's)
    DEFAULT_WORKERS = 8

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or isinstance(max_workers, bool)
                                        or max_workers < 1):
            from dspex_core.errors import ConfigError

            raise ConfigError(f"executor_options max_workers must be a positive integer, got {max_workers!r}")
        self.max_workers = max_workers or self.DEFAULT_WORKERS

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, max_workers: int | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """``fn`` on every item, ``max_workers`` (else this executor's own number) at a time."""
        items = list(items)
        max_workers = max_workers or self.max_workers
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
        share_with_workers()  # the items' LM usage counts toward the calling module's prediction
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

    async def amap(self, fn: Callable[[Any], Awaitable[Any]], items: Iterable[Any], *,
                   max_workers: int | None = None, on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """The async twin: ``await fn(item)`` for every item, ``max_workers`` at a time."""
        items = list(items)
        max_workers = max_workers or self.max_workers
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
