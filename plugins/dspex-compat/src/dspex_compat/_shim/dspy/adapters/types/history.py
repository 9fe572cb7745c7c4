from dspex_core import History
