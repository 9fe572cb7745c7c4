from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._not_built import not_built
from dspex_compat._predict import Predict


def __getattr__(name):
    raise not_built(__name__, name)
