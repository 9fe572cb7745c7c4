from dspex_core import Completions, Prediction
