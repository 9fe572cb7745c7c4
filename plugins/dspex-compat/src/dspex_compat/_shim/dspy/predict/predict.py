from dspex_compat._predict import Predict
