"""DSPy's ``Predict``, natively: the machinery shared by ``predict``, ``chain_of_thought`` and the
typed ``signature`` step (the module types themselves are in :mod:`dspex_native.modules`).

One concept per module: :mod:`.options` (what ``create`` and a call accept), :mod:`.state`
(a module's state, with its prompt parts precomputed), :mod:`.request` (the messages and LM
settings of one call), :mod:`.call` (asking the LM, parsing, the JSON fallback),
:mod:`.dspy_state` (DSPy's saved-state format, both ways) and :mod:`.trace` (what a reward loop
records of the calls inside it, and the hint it adds: DSPy's trace and Refine's adapter).
"""
