"""DSPy's ProgramOfThought, natively: the machinery of the ``program_of_thought`` module type
(the module type itself is :mod:`dspex_native.modules.program_of_thought`).

Ask the LM for Python code, run it in a sandbox, show the LM the error and ask again (up to
``max_iters`` attempts), then ask for the answer given the code and its output; each step is
a ChainOfThought predictor, so every request is the one DSPy 3.4 sends. One concept per
module: :mod:`.signatures` (the three steps' signatures and instructions), :mod:`.extract`
(the code in a reply), :mod:`.execution` (running it and what the LM is told), :mod:`.state`
(a module's options and predictors), :mod:`.loop` (one call, sync and async) and :mod:`.saved`
(DSPy's saved-state format). Code runs in :mod:`dspex_native.sandbox` unless the caller
passes an interpreter factory.
"""
