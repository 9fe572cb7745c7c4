"""Scoring a candidate program as ``dspy.Evaluate`` does, with the native ``evaluate``.

Optimizers that compare candidates (random search, COPRO) score each on a devset; the native
``evaluate`` implementation is DSPy's ``Evaluate`` (the same score to the last digit, failures
counted against ``max_errors``, ``num_threads`` threads through the configured executor).
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_native.modules.evaluate import implementation as evaluate
from dspex_native.optimizers.program import Program

#: ``dspy.Evaluate`` options that only change what is displayed
DISPLAY_ONLY = frozenset({"display_table"})


def evaluate_state(program: Program, state: Any, devset: list[Any], metric: Callable[..., Any],
                   **options: Any) -> Any:
    """``Evaluate(devset=devset, metric=metric, **options)(program with state)``: a Prediction
    with ``score`` (a percentage) and ``results``."""
    settings = {"devset": devset, "metric": metric,
                **{k: v for k, v in options.items() if k not in DISPLAY_ONLY and v is not None}}
    run = evaluate.create(**settings)
    return evaluate.execute(run, {"program": program.compiled(state, bootstrapped=False)})
