"""One evaluation run's bookkeeping, shared by its workers: errors, cancellation, progress, result.

DSPy's rule: an example whose program or metric raises scores ``failure_score`` with an empty
``Prediction``; once ``max_errors`` examples have failed, the run stops (workers skip what is
left) and raises :class:`~dspex_core.errors.EvaluationError` naming the first failure in devset
order. The score sums the results in devset order, so that it equals DSPy's to the last digit.
"""

from __future__ import annotations

import threading
from typing import Any

from dspex_core.backend import Prediction
from dspex_core.errors import EvaluationError

from dspex_native.evaluation.options import DEFAULT_MAX_ERRORS

#: The logger of failed examples; its name predates this module and logging setups use it.
LOGGER = "dspex_native.evaluate"


class Run:
    """Bookkeeping shared by the workers of one evaluation: errors, cancellation, progress."""

    def __init__(self, state: Any):
        import sys

        self.state = state
        self.limit = state.max_errors if state.max_errors is not None else DEFAULT_MAX_ERRORS
        shown = state.display_progress
        if shown is None:
            isatty = getattr(sys.stderr, "isatty", None)
            shown = bool(isatty and isatty())
        from dspex_native.evaluation.progress import Progress

        self.progress = Progress(len(state.devset), sys.stderr if shown else None)
        self.errors: list[tuple[int, BaseException]] = []
        self.cancelled = False
        self._lock = threading.Lock()

    def failed(self, index: int, example: Any, error: BaseException) -> "Failure":
        import logging

        with self._lock:
            self.errors.append((index, error))
            if len(self.errors) >= self.limit:
                self.cancelled = True
        logger = logging.getLogger(LOGGER)
        if self.state.provide_traceback:
            logger.error("Error for %r: %s", example, error, exc_info=error)
        else:
            logger.error("Error for %r: %s. Set `provide_traceback=True` for traceback.", example, error)
        self.progress.update(failed=True)
        return Failure(error)

    def finish(self, outcomes: list[Any], executor: str) -> Prediction:
        """The result: one ``(example, prediction, score)`` per example, from ``outcomes`` (one per
        example, as ``executor``, the executor's name, returned them, checked for their number)."""
        from dspex_core.errors import PluginError
        from dspex_core.executors import ExecutorFailure

        self.progress.close()
        if self.cancelled:
            self.errors.sort(key=lambda item: item[0])
            index, first = self.errors[0]
            raise EvaluationError(
                f"evaluation stopped: {len(self.errors)} examples failed (max_errors={self.limit}); "
                f"first failure, devset[{index}]: {type(first).__name__}: {first}", list(self.errors)) from first
        results = []
        for index, (example, outcome) in enumerate(zip(self.state.devset, outcomes, strict=True)):
            if outcome is None:  # a worker returns None only once the run is cancelled, and it is not
                raise PluginError(f"executor {executor!r} gave no outcome for devset[{index}]: it never ran "
                                  f"that example (an executor's map() must call the function once per item)")
            if isinstance(outcome, (Failure, ExecutorFailure)):
                results.append((example, Prediction(), self.state.failure_score))
            else:
                results.append((example, outcome[0], outcome[1]))
        total = sum(score for *_, score in results)
        return Prediction(score=round(100 * total / len(results), 2), results=results)


class Failure:
    """What a failed example's worker returns (its score is ``failure_score``)."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error
