"""The distribution's version, in a module of its own (the callback reports it as its scope's version)."""

__version__ = "0.1.0"
