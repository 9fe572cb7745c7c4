from dspex_compat._dotdict import dotdict
from dspex_compat._dummy_lm import DummyLM
from dspex_compat._lazy_names import lazy_attribute


def __getattr__(name):
    return lazy_attribute(__name__, name)
