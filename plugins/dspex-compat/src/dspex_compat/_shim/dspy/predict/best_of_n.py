from dspex_compat._best_of_n import BestOfN
