"""DSPy's ``ParallelExecutor``: a function over items on threads, as ``Parallel``, ``Module.batch``
and ``Evaluate`` run their work.

Each item runs in a copy of the caller's context (the layer's ``dspy.context`` overrides, dspex's
settings and the active callback call id all are context variables), so a worker sees what its
caller saw and its own changes stay its own. Failures are collected up to ``max_errors``, then the
rest is cancelled; Ctrl-C cancels too. With one thread, items run in order on the caller's thread.
A straggler (running ``timeout`` seconds while at most ``straggler_limit`` items are left) is
submitted once more and the first result wins, as in DSPy.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator

from dspex_compat._settings import settings

__all__ = ["ParallelExecutor"]

logger = logging.getLogger("dspy.utils.parallelizer")
_UNSET = object()
_CANCELLED = object()


class _NoProgress:
    def set_description(self, text: str) -> None:
        pass

    def update(self) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, disabled: bool) -> Any:
    """tqdm's bar when tqdm is installed and the bar is wanted (dspy depends on tqdm; the layer does not)."""
    if disabled:
        return _NoProgress()
    try:
        import tqdm
    except ImportError:
        return _NoProgress()
    tqdm.tqdm._instances.clear()
    return tqdm.tqdm(total=total, dynamic_ncols=True, file=sys.stdout)


class ParallelExecutor:
    """Run ``function`` on each item of ``data`` on ``num_threads`` threads; results in input order."""

    def __init__(self, num_threads: int | None = None, max_errors: int | None = None,
                 disable_progress_bar: bool = False, provide_traceback: bool | None = None,
                 compare_results: bool = False, timeout: int = 120, straggler_limit: int = 3):
        self.num_threads = num_threads or settings.num_threads
        self.max_errors = settings.max_errors if max_errors is None else max_errors
        self.disable_progress_bar = disable_progress_bar
        self.provide_traceback = provide_traceback if provide_traceback is not None else settings.provide_traceback
        self.compare_results = compare_results
        self.timeout = timeout
        self.straggler_limit = straggler_limit
        self.error_count = 0
        self.error_lock = threading.Lock()
        self.cancel_jobs = threading.Event()
        self.failed_indices: list[int] = []
        self.exceptions_map: dict[int, Exception] = {}

    def execute(self, function: Callable[[Any], Any], data: list[Any]) -> list[Any]:
        safe = self._wrap_function(function)
        if self.num_threads == 1:
            return self._execute_sequential(safe, data)
        return self._execute_parallel(safe, data)

    def _wrap_function(self, user_function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def safe_func(item: Any) -> Any:
            if self.cancel_jobs.is_set():
                return None
            try:
                return user_function(item)
            except Exception as exc:  # noqa: BLE001 - collected, counted against max_errors
                with self.error_lock:
                    self.error_count += 1
                    if self.error_count >= self.max_errors:
                        self.cancel_jobs.set()
                if self.provide_traceback:
                    logger.error(f"Error for {item}: {exc}\n{traceback.format_exc()}")
                else:
                    logger.error(f"Error for {item}: {exc}. Set `provide_traceback=True` for traceback.")
                return exc

        return safe_func

    def _execute_sequential(self, function: Callable[[Any], Any], data: list[Any]) -> list[Any]:
        results: list[Any] = [_UNSET] * len(data)
        bar = _progress(len(data), self.disable_progress_bar)
        try:
            for index, item in enumerate(data):
                if self.cancel_jobs.is_set():
                    break
                self._process_outcome(results, index, contextvars.copy_context().run(function, item))
                self._report_progress(bar, results, len(data))
        except KeyboardInterrupt:
            self.cancel_jobs.set()
            logger.warning("SIGINT received. Cancelling.")
            raise
        finally:
            bar.close()
        return self._finish(results)

    def _execute_parallel(self, function: Callable[[Any], Any], data: list[Any]) -> list[Any]:
        results: list[Any] = [_UNSET] * len(data)
        parent = contextvars.copy_context()
        started: dict[int, float] = {}
        started_lock = threading.Lock()
        resubmitted: set[Any] = set()

        def worker(submission: int, index: int, item: Any) -> tuple[int, Any]:
            if self.cancel_jobs.is_set():
                return index, _CANCELLED
            with started_lock:
                started[submission] = time.time()
            return index, parent.copy().run(function, item)

        pool = ThreadPoolExecutor(max_workers=self.num_threads)
        try:
            with self._interrupts():
                submitted: dict[Any, tuple[int, int, Any]] = {}
                for index, item in enumerate(data):
                    submitted[pool.submit(worker, index, index, item)] = (index, index, item)
                pending = set(submitted)
                count = len(data)
                bar = _progress(len(data), self.disable_progress_bar)
                while pending and not self.cancel_jobs.is_set() and _UNSET in results:
                    done, not_done = wait(pending, timeout=1, return_when=FIRST_COMPLETED)
                    for future in done:
                        pending.discard(future)
                        try:
                            index, outcome = future.result()
                        except Exception:  # noqa: BLE001 - the worker's own failures are outcomes
                            continue
                        if outcome is not _CANCELLED and results[index] is _UNSET:
                            self._process_outcome(results, index, outcome)
                        self._report_progress(bar, results, len(data))
                    if 0 < self.timeout and len(not_done) <= self.straggler_limit:
                        now = time.time()
                        for future in list(not_done):
                            submission, index, item = submitted[future]
                            with started_lock:
                                began = started.get(submission)
                            if future not in resubmitted and began and now - began >= self.timeout:
                                resubmitted.add(future)
                                again = pool.submit(worker, count, index, item)
                                submitted[again] = (count, index, item)
                                pending.add(again)
                                count += 1
                bar.close()
        finally:
            pool.shutdown(wait=False)
        return self._finish(results)

    def _finish(self, results: list[Any]) -> list[Any]:
        if self.cancel_jobs.is_set():
            logger.warning("Execution cancelled due to errors or interruption.")
            raise Exception("Execution cancelled due to errors or interruption.")
        return [None if result is _UNSET else result for result in results]

    @contextlib.contextmanager
    def _interrupts(self) -> Iterator[None]:
        """On the main thread, Ctrl-C cancels the remaining items, then interrupts as usual."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = signal.getsignal(signal.SIGINT)

        def handler(sig: int, frame: Any) -> None:
            self.cancel_jobs.set()
            logger.warning("SIGINT received. Cancelling.")
            if callable(original):
                original(sig, frame)
            else:
                signal.default_int_handler(sig, frame)

        signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, original)

    def _process_outcome(self, results: list[Any], index: int, outcome: Any) -> None:
        if isinstance(outcome, Exception):
            with self.error_lock:
                self.failed_indices.append(index)
                self.exceptions_map[index] = outcome
        else:
            results[index] = outcome

    def _report_progress(self, bar: Any, results: list[Any], total: int) -> None:
        if self.compare_results:
            values = [r[-1] for r in results if r is not _UNSET and r is not None]
            done, pct = sum(values), (round(100 * sum(values) / len(values), 1) if values else 0)
            bar.set_description(f"Average Metric: {done:.2f} / {len(values)} ({pct}%)")
        else:
            bar.set_description(f"Processed {len([r for r in results if r is not _UNSET])} / {total} examples")
        bar.update()
