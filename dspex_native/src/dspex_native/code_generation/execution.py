"""Running a step's code and what the LM is told about it, as DSPy 3.4's ProgramOfThought does.

The interpreter is any object with ``execute(code)`` and ``shutdown()`` (DSPy's
``CodeInterpreter`` protocol): the native sandbox by default, or what the caller's factory
makes, DSPy's own interpreters included. Its result becomes the JSON text the answer step is
given (``SUBMIT``'s value unwrapped first); a failure of the code becomes the error text the
next attempt is given. DSPy's ``FinalOutput`` and ``CodeExecutionError`` are recognised by
name, so interpreters from DSPy work without importing it; any other exception ends the call.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError

from dspex_native.sandbox.results import CodeExecutionError, FinalOutput

EMPTY = "Error: Empty code before execution."


def _is_final(result: Any) -> bool:
    return isinstance(result, FinalOutput) or (type(result).__name__ == "FinalOutput" and hasattr(result, "output"))


def _recoverable(error: BaseException) -> bool:
    """A failure of the code itself (the session goes on), as DSPy's ProgramOfThought catches them."""
    return isinstance(error, (CodeExecutionError, SyntaxError)) or any(
        cls.__name__ == "CodeExecutionError" for cls in type(error).__mro__)


def run_code(code: str, interpreter: Any) -> tuple[str | None, str | None]:
    """``(output, None)``: the result as JSON text; or ``(None, error)``: what the LM is told."""
    if not code:
        return None, EMPTY
    try:
        result = interpreter.execute(code)
    except Exception as error:
        if _recoverable(error):
            return None, str(error)
        raise
    if _is_final(result):
        result = result.output
    import json  # here, not at import: importing the module type stays light

    return json.dumps(result), None


def new_interpreter(factory: Any) -> Any:
    """An interpreter from the module's factory, checked to be one."""
    interpreter = factory()
    if not (callable(getattr(interpreter, "execute", None)) and callable(getattr(interpreter, "shutdown", None))):
        raise InputError(f"program_of_thought: the interpreter factory must return an interpreter (an object with "
                         f"execute(code) and shutdown()), it returned {type(interpreter).__name__}")
    return interpreter
