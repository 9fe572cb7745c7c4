"""DSPy's ``majority``: the most common value of a field across a prediction's completions."""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import Prediction

from dspex_compat._metrics import normalize_text

__all__ = ["majority", "default_normalize"]


def default_normalize(s: str) -> str | None:
    return normalize_text(s) or None


def majority(prediction_or_completions: Any, normalize: Callable[[Any], Any] | None = default_normalize,
             field: str | None = None) -> Prediction:
    """The first completion whose (normalised) ``field`` is the most common; the last output field by default.

    A completion whose value normalises to ``None`` is not counted (unless all do); ties go to the earlier one."""
    if isinstance(prediction_or_completions, Prediction):
        completions = prediction_or_completions.completions
    elif isinstance(prediction_or_completions, list) or hasattr(prediction_or_completions, "__getitem__"):
        completions = prediction_or_completions
    else:
        raise TypeError(f"majority() takes a Prediction, Completions or a list, got {type(prediction_or_completions)}")
    signature = getattr(completions, "signature", None)
    if not field:
        field = list(signature.output_fields)[-1] if signature else list(completions[0].keys())[-1]
    normalize = normalize or (lambda x: x)
    values = [normalize(completion[field]) for completion in completions]
    counts: dict[Any, int] = {}
    for value in [v for v in values if v is not None] or values:
        counts[value] = counts.get(value, 0) + 1
    winner = max(counts, key=counts.get)
    chosen = next(c for c, v in zip(completions, values) if v == winner)
    return Prediction.from_completions([dict(chosen)])
