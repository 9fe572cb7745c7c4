"""What running code in a sandbox session returns or raises.

They mirror DSPy's ``CodeInterpreter`` protocol, because ``program_of_thought`` treats them as
DSPy's ProgramOfThought treats DSPy's: a :class:`FinalOutput` when the code called
``SUBMIT(...)``; a :class:`CodeExecutionError` (or ``SyntaxError``) when the code failed and
the session can go on, whose text is what the LM is shown; a :class:`SandboxError` when the
session itself broke and the call cannot go on.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import DspexError


class FinalOutput:
    """The value the code handed to ``SUBMIT(...)`` (``{"output": value}`` for ProgramOfThought)."""

    __slots__ = ("output",)

    def __init__(self, output: Any):
        self.output = output

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FinalOutput) and self.output == other.output

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FinalOutput({self.output!r})"


class CodeExecutionError(RuntimeError):
    """The code raised; the message is ``"<ExceptionType>: <args or message>"`` as DSPy words it."""


class SandboxError(DspexError, RuntimeError):
    """The sandbox session broke (the process died, or an error could not be reported); the
    session is over and its state lost, as with DSPy's ``CodeInterpreterError``."""
