"""What a metric may give an evaluation: one rule for every backend's ``evaluate``.

A metric that forgot its ``return`` gives ``None``. DSPy's ``Evaluate`` sums the values and ends
in ``TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'`` after running every
example; the native backend counted the example as failed and returned a score as if nothing
were wrong. Here the mistake is the caller's, said once: every example still runs (the metric
is the caller's code, and DSPy runs them all too), an example whose metric gave ``None`` is
scored ``failure_score`` meanwhile, and when the run is over :meth:`NoneScores.raise_if_any`
raises an :class:`~dspex_core.errors.InputError` naming the metric, the first such example in
devset order and how many there were. Any other value (a number, a bool, a ``Prediction``
with a ``score``) is the backend's to sum, as DSPy sums it.

Backends use it as ``dspex_core.backend.score_rules``: one :class:`NoneScores` per run, its
:meth:`~NoneScores.check` applied to each metric value, :meth:`~NoneScores.raise_if_any` after.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from dspex_core.errors import InputError


class NoneScores:
    """The examples of one evaluation run whose metric gave ``None`` (workers share it)."""

    __slots__ = ("fallback", "examples", "_lock")

    def __init__(self, fallback: Any):
        self.fallback = fallback
        self.examples: list[Any] = []
        self._lock = threading.Lock()

    def check(self, example: Any, score: Any) -> Any:
        """``score``, or the run's ``failure_score`` when it is ``None`` (the example noted)."""
        if score is not None:
            return score
        with self._lock:
            self.examples.append(example)
        return self.fallback

    def raise_if_any(self, devset: Sequence[Any], metric: Any) -> None:
        """Raise the :class:`InputError` for the examples noted, if any (see the module docstring)."""
        if not self.examples:
            return
        noted = {id(example) for example in self.examples}
        index = next((i for i, example in enumerate(devset) if id(example) in noted), None)
        where = f"devset[{index}]" if index is not None else "an example"
        name = getattr(metric, "__name__", None) or type(metric).__name__
        raise InputError(f"evaluate: the metric {name!r} returned None for {where} ({len(self.examples)} of "
                         f"{len(devset)} examples); a metric returns a number or a bool (is a `return` missing?)")
