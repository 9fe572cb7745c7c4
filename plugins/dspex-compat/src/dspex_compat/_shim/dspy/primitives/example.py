from dspex_core import Example
