from dspex_compat._lm import LM, BaseLM, inspect_history
