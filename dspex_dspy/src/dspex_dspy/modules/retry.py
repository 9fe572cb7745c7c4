"""``retry`` with ``dspy.Refine``'s semantics.

DSPy 3 removed ``dspy.Retry`` (its source is commented out); ``dspy.Refine`` is its replacement,
so ``retry`` runs the wrapped module up to ``N`` times, feeding the LM's advice back between
attempts, until the reward reaches ``threshold`` (see :mod:`dspex_dspy._reward_loop`).
"""

from __future__ import annotations

from dspex_dspy._reward_loop import RewardLoopImplementation


class RetryImpl(RewardLoopImplementation):
    """``retry``: DSPy 3 has no Retry; served with ``dspy.Refine`` (see the module docstring)."""

    module_type = "retry"
    dspy_class_name = "Refine"


implementation = RetryImpl()
