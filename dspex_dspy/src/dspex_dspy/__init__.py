"""dspex-dspy: dspex module types served by the real ``dspy`` package."""

__version__ = "0.1.0"
