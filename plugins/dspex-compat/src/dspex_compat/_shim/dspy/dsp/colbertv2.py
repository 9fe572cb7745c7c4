from dspex_compat._retrieve import ColBERTv2
