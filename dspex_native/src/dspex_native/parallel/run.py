"""One ``parallel`` run's bookkeeping, shared by its workers: outcomes, errors, cancellation,
stragglers and the result, with DSPy's ``ParallelExecutor`` rules.

* An example's first outcome is kept: its prediction, or the exception its call raised (its
  result is then ``None``, as in DSPy).
* Every failure counts; when ``max_errors`` have failed the run is cancelled: examples not
  started yet are skipped and the run raises at once, without waiting for the calls still
  running, an :class:`~dspex_core.errors.EvaluationError` (an ``InputError``, the class native
  and dspy ``evaluate`` raise for the same rule) listing ``(index, exception)`` in input order.
* A straggler: once at most ``straggler_limit`` examples are unfinished, an example whose call
  has run for ``timeout`` seconds is started once more, and whichever call ends first gives
  its outcome (both calls reach the LM, as in DSPy).

The drivers (:mod:`.threads`, :mod:`.tasks`) call :meth:`Run.start` before an example's call
and :meth:`Run.succeeded` / :meth:`Run.failed` after it; the caller waits on ``cond``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dspex_core.backend import Prediction
from dspex_core.errors import EvaluationError

#: The logger of failed examples.
LOGGER = "dspex_native.parallel"
_UNSET = object()


class Failed:
    """An example's outcome when its call raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


class Run:
    """The shared state of one run over ``len(examples)`` examples (see the module docstring)."""

    def __init__(self, examples: Any, *, max_errors: float, timeout: float, straggler_limit: int,
                 provide_traceback: bool, show_progress: bool, return_failed_examples: bool):
        self.examples = examples
        self.count = len(examples)
        self.limit = max_errors
        self.timeout = timeout
        self.straggler_limit = straggler_limit
        self.provide_traceback = provide_traceback
        self.return_failed_examples = return_failed_examples
        self.outcomes: list[Any] = [_UNSET] * self.count
        self.finished = 0
        self.error_count = 0
        self.cancelled = False
        #: index -> when its first call started; indices already started a second time
        self.started: dict[int, float] = {}
        self.restarted: set[int] = set()
        self.cond = threading.Condition()
        self.progress = None
        if show_progress:
            import sys

            from dspex_native.parallel.progress import ParallelProgress

            self.progress = ParallelProgress(self.count, sys.stderr)

    # -- what the workers report ---------------------------------------------------------------
    def start(self, index: int) -> bool:
        """Whether the call of ``index`` should run now (not when cancelled or already decided)."""
        with self.cond:
            if self.cancelled or self.outcomes[index] is not _UNSET:
                return False
            self.started.setdefault(index, time.monotonic())
            return True

    def succeeded(self, index: int, prediction: Any) -> None:
        with self.cond:
            if self.outcomes[index] is not _UNSET:
                return
            self.outcomes[index] = prediction
            self.finished += 1
            if self.progress is not None and not self.cancelled:
                self.progress.update(0)  # drawn before the caller can close the line
            self.cond.notify_all()

    def failed(self, index: int, error: Exception) -> None:
        import logging

        logger = logging.getLogger(LOGGER)  # logged before the caller can see the outcome, as DSPy does
        if self.provide_traceback:
            logger.error("Error for examples[%d] %r: %s", index, self.examples[index], error, exc_info=error)
        else:
            logger.error("Error for examples[%d] %r: %s. Set `provide_traceback=True` for traceback.", index,
                         self.examples[index], error)
        with self.cond:
            live = not self.cancelled  # after a cancellation the line is closed
            self.error_count += 1
            if self.error_count >= self.limit:
                self.cancelled = True
            if self.outcomes[index] is _UNSET:
                self.outcomes[index] = Failed(error)
                self.finished += 1
                if self.progress is not None and live:
                    self.progress.update(failed=True)
            self.cond.notify_all()

    def cancel(self) -> None:
        """Skip whatever has not started (the caller was interrupted)."""
        with self.cond:
            self.cancelled = True
            self.cond.notify_all()

    # -- what the caller asks ------------------------------------------------------------------
    def over(self) -> bool:
        """Every example has an outcome, or the run was cancelled (call with ``cond`` held)."""
        return self.cancelled or self.finished == self.count

    def undecided(self) -> list[int]:
        """The examples with no outcome yet, in input order (call with ``cond`` held)."""
        return [index for index, outcome in enumerate(self.outcomes) if outcome is _UNSET]

    def stragglers(self) -> tuple[list[int], float | None]:
        """``(examples to start again now, seconds until the next one may be due or None)``
        (call with ``cond`` held)."""
        if self.timeout <= 0 or self.count - self.finished > self.straggler_limit:
            return [], None
        now = time.monotonic()
        due, wait = [], None
        for index, since in self.started.items():
            if index in self.restarted or self.outcomes[index] is not _UNSET:
                continue
            left = since + self.timeout - now
            if left <= 0:
                self.restarted.add(index)
                due.append(index)
            elif wait is None or left < wait:
                wait = left
        return due, wait

    def finish(self) -> Prediction:
        """The result in input order, or the :class:`EvaluationError` of a cancelled run."""
        with self.cond:
            outcomes = list(self.outcomes)
            cancelled = self.cancelled
        failures = [(index, outcome.error) for index, outcome in enumerate(outcomes) if isinstance(outcome, Failed)]
        if cancelled:
            import logging

            logging.getLogger(LOGGER).warning("Execution cancelled due to errors or interruption.")
            if failures:
                raise cancelled_error(failures, self.count, self.limit)
        results = [None if outcome is _UNSET or isinstance(outcome, Failed) else outcome for outcome in outcomes]
        if not self.return_failed_examples:
            return Prediction(results=results)
        return Prediction(results=results, failed_examples=[self.examples[index] for index, _ in failures],
                          exceptions=[error for _, error in failures])


def cancelled_error(failures: list[tuple[int, BaseException]], count: int, limit: float) -> EvaluationError:
    """The error of a run that ``max_errors`` failures stopped (the dspy backend words it alike)."""
    index, first = failures[0]
    error = EvaluationError(
        f"parallel stopped: {len(failures)} of {count} examples failed (max_errors={limit}); "
        f"first failure, examples[{index}]: {type(first).__name__}: {first}", list(failures))
    error.__cause__ = first
    return error
