"""The code-interpreter errors: a failure submitted code cannot repair, and one it can.

Apart from the interpreter API (:mod:`._interpreter`) so interpreters, which that API's default
factory names, can raise them without importing it back.
"""

from __future__ import annotations

from dspex_compat._dspy_errors import DSPyError

__all__ = ["CodeInterpreterError", "CodeExecutionError"]


class CodeInterpreterError(DSPyError, RuntimeError):
    """A failure submitted code cannot repair: host-side setup, or the interpreter process or protocol.

    Recoverable failures of the submitted code are :class:`CodeExecutionError`.
    """


class CodeExecutionError(CodeInterpreterError):
    """Recoverable error raised by code running in a healthy interpreter."""
