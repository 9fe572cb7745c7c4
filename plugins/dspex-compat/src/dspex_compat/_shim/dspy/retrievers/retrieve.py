from dspex_compat._retrieve import Retrieve
