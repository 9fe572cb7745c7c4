"""DSPy's ``dspy.utils.exceptions``: its error classes and helpers (the list is ``_dspy_errors.__all__``)."""

from dspex_compat._dspy_errors import *  # noqa: F403 - the module re-exports them all
