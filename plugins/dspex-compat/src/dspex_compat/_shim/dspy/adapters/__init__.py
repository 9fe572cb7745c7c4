from dspex_compat._adapters import Adapter, ChatAdapter, JSONAdapter, XMLAdapter
from dspex_compat._lazy_names import lazy_attribute
from dspex_compat._tool import Tool


def __getattr__(name):
    return lazy_attribute(__name__, name)
