"""``best_of_n`` through ``dspy.BestOfN`` (see :mod:`dspex_dspy._reward_loop`)."""

from __future__ import annotations

from dspex_dspy._reward_loop import RewardLoopImplementation


class BestOfNImpl(RewardLoopImplementation):
    """``best_of_n``: ``dspy.BestOfN(module, N, reward_fn, threshold, fail_count)``."""

    module_type = "best_of_n"
    dspy_class_name = "BestOfN"


implementation = BestOfNImpl()
