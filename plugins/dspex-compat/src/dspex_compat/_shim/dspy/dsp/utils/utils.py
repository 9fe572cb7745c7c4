from dspex_compat._dotdict import dotdict
