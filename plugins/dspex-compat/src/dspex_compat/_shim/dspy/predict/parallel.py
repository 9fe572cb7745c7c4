from dspex_compat._parallel import Parallel
