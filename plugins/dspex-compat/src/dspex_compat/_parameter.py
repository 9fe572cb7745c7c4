"""What an optimizer tunes: ``Parameter`` (DSPy's marker), and ``Predictor``, the parameters that
ask the LM (``Predict``), which ``named_predictors()`` lists (a retriever is a parameter, not one)."""

from __future__ import annotations

__all__ = ["Parameter", "Predictor"]


class Parameter:
    """DSPy's ``dspy.predict.parameter.Parameter``."""


class Predictor(Parameter):
    """A parameter that calls the LM."""
