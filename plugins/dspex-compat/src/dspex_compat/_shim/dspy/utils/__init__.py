from dspex_compat._dotdict import dotdict
from dspex_compat._dummy_lm import DummyLM
from dspex_compat._not_built import not_built


def __getattr__(name):
    raise not_built(__name__, name)
