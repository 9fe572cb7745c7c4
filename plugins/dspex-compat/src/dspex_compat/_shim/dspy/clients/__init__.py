from dspex_compat._lazy_names import lazy_attribute
from dspex_compat._lm import LM, BaseLM, inspect_history


def __getattr__(name):
    return lazy_attribute(__name__, name)
