from dspex_core import Prediction

from dspex_compat._completions import Completions
