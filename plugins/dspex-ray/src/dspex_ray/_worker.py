"""The Ray actor that runs work: configured once, modules rebuilt once, items one call each.

A worker is made with the caller's settings as data (``ShippedWork.settings``: the LM's
description, the adapter, routing) and configures dspex from them once, in its constructor;
the LM's credentials are already in its environment (Ray's ``runtime_env``), never in an
argument. A call names its work by key and carries the work's object reference (inside a list,
so that Ray does not fetch it for every call): the first call of a work on a worker fetches it
and rebuilds the module from its saved state; later calls reuse that. An item's exception comes
back as the item's :class:`~dspex_core.executors.ExecutorFailure`, so that Ray's retries are
kept for what they are for: a worker process that died.

When Ray restarts a worker that died (``max_restarts``), the constructor runs again and the
calls that were running on it are retried (``max_task_retries``); each call is one item, so an
item's result arrives once, whichever attempt produced it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: works (rebuilt modules) a worker keeps, most recently used first
KEPT_WORKS = 8


class Worker:
    """The actor's class (``ray.remote`` is applied by the executor, so importing this is free)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        from dspex_core.executors import configure_worker

        configure_worker(settings)
        self._works: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def _work(self, key: str, box: list[Any]) -> Any:
        with self._lock:
            found = self._works.get(key)
            if found is not None:
                self._works.move_to_end(key)
                return found
            import ray

            found = ray.get(box[0]).rebuild()
            self._works[key] = found
            while len(self._works) > KEPT_WORKS:
                self._works.popitem(last=False)
            return found

    def run(self, key: str, box: list[Any], item: Any) -> Any:
        """The work on one item: its result, or its :class:`ExecutorFailure`."""
        from dspex_core.executors import ExecutorFailure

        try:
            return self._work(key, box)(item)
        except Exception as exc:  # noqa: BLE001 - the item's failure, reported as a result
            return ExecutorFailure(_portable(exc))

    def pid(self) -> int:
        """This worker's process id (tests stop one to see its items retried)."""
        import os

        return os.getpid()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its type and message."""
    from ray import cloudpickle

    try:
        cloudpickle.loads(cloudpickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}")
