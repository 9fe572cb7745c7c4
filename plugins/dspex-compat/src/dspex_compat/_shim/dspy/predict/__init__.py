from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._not_built import not_built
from dspex_compat._predict import Predict


def __getattr__(name):
    if name == "RLM":  # imports pydantic (RLM's REPL records), so only when used
        from dspex_compat._rlm import RLM

        return RLM
    raise not_built(__name__, name)
