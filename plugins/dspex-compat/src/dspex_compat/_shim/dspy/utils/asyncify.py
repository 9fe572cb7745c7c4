from dspex_compat._asyncify import asyncify
