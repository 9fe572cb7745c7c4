from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._lazy_names import lazy_attribute
from dspex_compat._predict import Predict


def __getattr__(name):
    return lazy_attribute(__name__, name)
