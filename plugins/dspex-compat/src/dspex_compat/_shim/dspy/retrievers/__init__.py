from dspex_compat._not_built import not_built
from dspex_compat._retrieve import Retrieve


def __getattr__(name):
    raise not_built(__name__, name)
