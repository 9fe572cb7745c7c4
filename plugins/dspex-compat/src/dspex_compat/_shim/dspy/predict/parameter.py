from dspex_compat._parameter import Parameter
