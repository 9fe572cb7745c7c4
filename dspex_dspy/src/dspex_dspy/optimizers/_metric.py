"""The metric as DSPy's optimizers call it, with dspex's records and clear failures.

DSPy calls ``metric(example, prediction[, trace])`` with its own ``dspy.Example`` and
``dspy.Prediction``. Users write metrics against dspex's ``Example``/``Prediction`` (the
same ones ``dspex.Evaluate`` passes), so :class:`GuardedMetric` hands the metric the user's
own example object and a dspex prediction, and passes ``trace`` only when DSPy did.

A metric that raises is a bug in the metric, not a flaky example, but DSPy's optimizers
count it as an error and go on (up to ``max_errors``). The guard records the first failure
as an :class:`MetricError` naming the metric and the example (which set, which index, its
inputs), with the original exception as ``__cause__``; later calls fail at once, and the
optimizer implementation raises the recorded error when DSPy stops or returns.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from dspex_core.errors import InputError

from dspex_dspy.translate import from_dspy_example, from_dspy_prediction

_NO_TRACE = object()


class MetricError(InputError):
    """The user's metric raised while an optimizer scored an example."""


def metric_name(metric: Any) -> str:
    return getattr(metric, "__qualname__", None) or getattr(metric, "__name__", None) or type(metric).__name__


def check_metric(module_type: str, metric: Any, required: bool) -> None:
    """A metric must be callable; some optimizers cannot run without one."""
    if metric is None:
        if required:
            raise InputError(f"{module_type} needs metric=: a callable (example, prediction, trace=None) -> score, "
                             f"e.g. {_facade(module_type)}.create(metric=fn)")
        return
    if not callable(metric):
        raise InputError(f"metric must be a callable (example, prediction, trace=None) -> score, "
                         f"got {type(metric).__name__} {metric!r}"[:300])


def _facade(module_type: str) -> str:
    from dspex_core.backend import module_type as table_row

    row = table_row(module_type)
    return f"dspex.{row.facade}" if row is not None and row.facade else f"dspex.create({module_type!r})"


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class GuardedMetric:
    """Wraps the user's metric for one ``compile`` (see the module docstring)."""

    def __init__(self, metric: Any, where: dict[int, tuple[str, int, Any]]):
        #: id(dspy example) -> (set name, index, the user's example)
        self.metric = metric
        self.where = where
        self.error: MetricError | None = None
        self._lock = threading.Lock()
        # dspex's settings and session for DSPy's worker threads (the metric may use dspex).
        self._context = contextvars.copy_context()

    def _locate(self, example: Any) -> tuple[str, Any, Any]:
        found = self.where.get(id(example))
        if found is None:
            for candidate in self.where.values():
                if candidate[2] == example:
                    found = candidate
                    break
        if found is None:
            return "an example", "?", from_dspy_example(example)
        return found

    def __call__(self, example: Any, prediction: Any, trace: Any = _NO_TRACE) -> Any:
        return self.call(example, prediction, () if trace is _NO_TRACE else (trace,))

    def call(self, example: Any, prediction: Any, more: tuple[Any, ...]) -> Any:
        """The user's metric on the user's example, a dspex prediction and ``more`` arguments."""
        if self.error is not None:
            raise self.error
        set_name, index, original = self._locate(example)
        pred = from_dspy_prediction(prediction)
        args = (original, pred, *more)
        try:
            return self._context.copy().run(self.metric, *args)
        except Exception as exc:
            inputs = original.inputs().toDict() if getattr(original, "input_keys", None) else original.toDict()
            error = MetricError(f"the metric {metric_name(self.metric)!r} raised {type(exc).__name__}: {exc} "
                                f"on {set_name}[{index}] (inputs {_short(inputs)}); fix the metric")
            error.__cause__ = exc
            with self._lock:
                if self.error is None:
                    self.error = error
            raise error from exc

    def raise_if_failed(self) -> None:
        """Raise the first recorded metric failure, if any."""
        if self.error is not None:
            raise self.error
