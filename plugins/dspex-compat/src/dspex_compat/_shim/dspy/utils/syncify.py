from dspex_compat._syncify import run_async, syncify
