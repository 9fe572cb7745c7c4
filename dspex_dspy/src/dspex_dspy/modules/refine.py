"""``refine`` through ``dspy.Refine`` (see :mod:`dspex_dspy._reward_loop`)."""

from __future__ import annotations

from dspex_dspy._reward_loop import RewardLoopImplementation


class RefineImpl(RewardLoopImplementation):
    """``refine``: ``dspy.Refine(module, N, reward_fn, threshold, fail_count)``."""

    module_type = "refine"
    dspy_class_name = "Refine"


implementation = RefineImpl()
