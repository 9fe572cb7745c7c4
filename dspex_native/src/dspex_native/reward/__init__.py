"""DSPy's reward loops, natively: what ``best_of_n``, ``refine`` and ``retry`` share.

``dspy.BestOfN`` runs a module up to ``N`` times, each attempt on the LM copied with a distinct
``rollout_id`` and ``temperature=1.0``, and returns the first prediction whose
``reward_fn(inputs, prediction)`` reaches ``threshold``, else the best one; ``dspy.Refine`` does
the same and, after an attempt below the threshold, asks the LM for advice (DSPy's
``OfferFeedback`` signature) that the next attempts get as a ``hint_`` input. ``retry`` is
``refine`` (DSPy 3 has no ``Retry``).

One concept per module: :mod:`.wrapped` (the native module a loop runs), :mod:`.state` (what
``create`` checks and returns), :mod:`.attempts` (the loop itself, sync and async, with DSPy's
``fail_count`` rule and messages), :mod:`.feedback` (Refine's advice request and hints),
:mod:`.json_text` (the orjson text DSPy puts in that request), :mod:`.saved` (describe, DSPy's
saved state both ways) and :mod:`.implementation` (the implementation the three module-type
files specialise).
"""
