from dspex_compat._module import BaseModule
