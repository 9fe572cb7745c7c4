"""DSPy's ``ReAct``, natively: the machinery of the ``react`` module type
(:mod:`dspex_native.modules.react` is the implementation the plugin registers).

An agent is two predictors on the predictor machinery (:mod:`dspex_native.predictor`): ``react``
picks the next thought, tool and arguments from the inputs and the trajectory so far, and
``extract`` (a ChainOfThought) produces the outputs from the final trajectory. One concept per
module: :mod:`.signatures` (both predictors' signatures and ReAct's instructions),
:mod:`.options` (what ``create`` and a call accept), :mod:`.state` (an agent's state),
:mod:`.trajectory` (the trajectory as the LM reads it, and its truncation), :mod:`.errors`
(errors as the LM reads them), :mod:`.loop` (the agent loop, sync and async) and
:mod:`.saved` (DSPy's saved-state format, both ways). Tools are :mod:`dspex_native.tools`.
"""
