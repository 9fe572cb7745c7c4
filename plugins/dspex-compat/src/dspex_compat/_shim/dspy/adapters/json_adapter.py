from dspex_compat._adapters import JSONAdapter
