from dspex_core import Example, Prediction

from dspex_compat._module import BaseModule, Module
