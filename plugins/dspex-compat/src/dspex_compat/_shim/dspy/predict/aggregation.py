from dspex_compat._aggregation import default_normalize, majority
