from dspex_core import Prediction
