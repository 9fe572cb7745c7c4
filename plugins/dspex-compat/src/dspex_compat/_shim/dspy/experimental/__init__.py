from dspex_compat._lazy_names import lazy_attribute


def __getattr__(name):
    return lazy_attribute(__name__, name)
