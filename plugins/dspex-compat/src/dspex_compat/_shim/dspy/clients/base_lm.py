from dspex_compat._lm import GLOBAL_HISTORY, MAX_HISTORY_SIZE, BaseLM, inspect_history
