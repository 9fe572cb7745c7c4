"""The native ``best_of_n`` module type: DSPy's ``BestOfN``.

Up to ``N`` attempts of the wrapped native module, each on the LM copied with a distinct
``rollout_id`` and ``temperature=1.0``; the first prediction whose reward reaches ``threshold``
wins, else the best one (the loop is :mod:`dspex_native.reward`).
"""

from __future__ import annotations

from dspex_native.reward.implementation import RewardLoopImplementation


class BestOfNImplementation(RewardLoopImplementation):
    """``best_of_n``: DSPy's ``BestOfN(module, N, reward_fn, threshold, fail_count)``."""

    module_type = "best_of_n"
    refines = False


implementation = BestOfNImplementation()
