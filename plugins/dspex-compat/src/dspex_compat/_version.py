"""The DSPy release whose public API the layer serves (``dspy.__version__`` on the layer)."""

DSPY_VERSION = "3.4.1"
