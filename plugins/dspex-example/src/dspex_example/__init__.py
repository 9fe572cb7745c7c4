"""dspex-example: a minimal third-party dspex backend serving the ``metrics`` module type."""

__version__ = "0.1.0"
