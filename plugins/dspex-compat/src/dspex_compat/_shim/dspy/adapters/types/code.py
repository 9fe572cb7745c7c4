from dspex_compat._types_code import Code
