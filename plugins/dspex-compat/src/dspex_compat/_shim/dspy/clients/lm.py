from dspex_compat._lm import LM
