"""Scoring one candidate program of an optimizer (DSPy's ``dspy.teleprompt.utils``): on the whole
set, or on a seeded minibatch of it, a failed evaluation counting as a score of 0."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["create_minibatch", "eval_candidate_program"]


def _logger() -> Any:
    import logging

    return logging.getLogger("dspy.teleprompt.utils")


def create_minibatch(trainset: list[Any], batch_size: int = 50, rng: random.Random | None = None) -> list[Any]:
    """``batch_size`` examples sampled from the trainset (all of them when it is smaller), with ``rng``
    (the global ``random`` without one)."""
    batch_size = min(batch_size, len(trainset))
    indices = (rng or random).sample(range(len(trainset)), batch_size)
    return [trainset[i] for i in indices]


def eval_candidate_program(batch_size: int, trainset: list[Any], candidate_program: Any, evaluate: Any,
                           rng: random.Random | None = None) -> Any:
    """The candidate's ``Evaluate`` result on the trainset (a minibatch of ``batch_size`` when that is
    smaller); an error is logged and scores 0.0, as in DSPy."""
    try:
        if batch_size >= len(trainset):
            return evaluate(candidate_program, devset=trainset, callback_metadata={"metric_key": "eval_full"})
        return evaluate(candidate_program, devset=create_minibatch(trainset, batch_size, rng),
                        callback_metadata={"metric_key": "eval_minibatch"})
    except Exception:
        _logger().error("An exception occurred during evaluation", exc_info=True)
        from dspex_core import Prediction

        return Prediction(score=0.0, results=[])
