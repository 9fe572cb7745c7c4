from dspex_compat._adapters import XMLAdapter
