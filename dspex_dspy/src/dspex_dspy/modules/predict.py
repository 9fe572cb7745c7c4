"""``predict`` through ``dspy.Predict``."""

from __future__ import annotations

from dspex_dspy._predictor import PredictorImplementation


class PredictImpl(PredictorImplementation):
    """``dspy.Predict``: create options ``demos``, ``instructions``, ``adapter``, LM settings."""

    module_type = "predict"
    dspy_class_name = "Predict"


implementation = PredictImpl()
