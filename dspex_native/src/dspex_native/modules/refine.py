"""The native ``refine`` module type: DSPy's ``Refine``.

``best_of_n`` plus advice: after an attempt below the threshold (not the last), the LM is asked
for advice per predictor (DSPy's ``OfferFeedback``), and the next attempts give every predictor
its advice as a ``hint_`` input (the loop is :mod:`dspex_native.reward`).
"""

from __future__ import annotations

from dspex_native import _not_implemented
from dspex_native.reward.implementation import RewardLoopImplementation


class RefineImplementation(RewardLoopImplementation):
    """``refine``: DSPy's ``Refine(module, N, reward_fn, threshold, fail_count)``."""

    module_type = "refine"
    refines = True
    not_implemented = _not_implemented.REFINE


implementation = RefineImplementation()
