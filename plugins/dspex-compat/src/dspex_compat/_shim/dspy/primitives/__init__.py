from dspex_core import Completions, Example, Prediction

from dspex_compat._module import BaseModule, Module
