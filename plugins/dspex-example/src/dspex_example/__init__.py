"""dspex-example: a minimal third-party dspex backend serving the ``metrics`` and ``predict`` module types."""

__version__ = "0.1.0"
