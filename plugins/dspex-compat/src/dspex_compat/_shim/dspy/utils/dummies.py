from dspex_compat._dummy_lm import DummyLM
