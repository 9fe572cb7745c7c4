"""dspex-native: in-process implementations of dspex module types, without dspy."""

__version__ = "0.1.0"
