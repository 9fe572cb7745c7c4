"""DSPy's code-interpreter API: the ``CodeInterpreter`` protocol, its errors and ``FinalOutput``.

RLM (and DSPy's other code-executing modules) run LM-written code in an interpreter they get
from a zero-argument factory: the module's own ``interpreter_factory``, else
``dspy.settings.interpreter_factory``, else ``PythonInterpreter``. An interpreter keeps state
across ``execute`` calls, exposes a mutable ``tools`` dict of host functions the code may call,
and returns :class:`FinalOutput` when the code called ``SUBMIT(...)``.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from dspex_compat._interpreter_errors import CodeExecutionError, CodeInterpreterError
from dspex_compat._settings import settings

__all__ = ["SIMPLE_TYPES", "CodeInterpreterError", "CodeExecutionError", "FinalOutput", "CodeInterpreter",
           "resolve_interpreter_factory", "validate_interpreter_factory", "validate_interpreter",
           "create_interpreter"]

#: Types SUBMIT()'s generated signature may name (others are left unannotated).
SIMPLE_TYPES = (str, int, float, bool, list, dict, type(None))


class FinalOutput:
    """What ``execute`` returns when the code called ``SUBMIT()``: the loop ends with ``output``."""

    def __init__(self, output: Any):
        self.output = output

    def __repr__(self) -> str:
        return f"FinalOutput({self.output!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FinalOutput):
            return NotImplemented
        return self.output == other.output


@runtime_checkable
class CodeInterpreter(Protocol):
    """A code execution environment: ``tools``, ``start()``, ``execute(code, variables)``, ``shutdown()``.

    Created with configuration only; ``start()`` (idempotent, or lazily by ``execute``) allocates
    it; state persists across ``execute`` calls until ``shutdown()``. ``execute`` returns a
    :class:`FinalOutput` when ``SUBMIT()`` was called, else the captured output (``str``, a list of
    lines, or ``None``), and raises :class:`CodeExecutionError` or ``SyntaxError`` for the code's
    own failures and :class:`CodeInterpreterError` when the interpreter itself failed.
    """

    @property
    def tools(self) -> dict[str, Callable[..., Any]]:
        """Host functions the interpreted code may call (keyword arguments)."""
        ...

    def start(self) -> None:
        """Allocate the interpreter's resources (safe to call more than once)."""
        ...

    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        """Run ``code`` with ``variables`` injected as globals."""
        ...

    def shutdown(self) -> None:
        """Release the interpreter; it is not used again."""
        ...


def validate_interpreter_factory(factory: Any, name: str = "interpreter_factory") -> None:
    """Refuse an interpreter given where a factory belongs, or anything that is not callable."""
    if not isinstance(factory, type) and isinstance(factory, CodeInterpreter):
        raise TypeError(
            f"{name} received an object that already implements CodeInterpreter, so its ownership "
            "is ambiguous. "
            "If this object also creates interpreters, pass a dedicated zero-argument creation callable instead.")
    if not callable(factory):
        raise TypeError(f"{name} must be a zero-argument callable that creates a CodeInterpreter, "
                        f"not {type(factory).__name__}.")


def resolve_interpreter_factory(factory: Callable[[], Any] | None = None) -> Callable[[], Any]:
    """The factory that makes the next interpreter: the module's own (``None`` and
    ``PythonInterpreter`` mean unset), else ``dspy.settings.interpreter_factory``, else
    ``PythonInterpreter``. Call it where the interpreter is made, so ``dspy.context`` scopes it."""
    from dspex_compat._python_interpreter import PythonInterpreter

    if factory is not None and factory is not PythonInterpreter:
        return factory
    configured = settings.get("interpreter_factory")
    if configured is None:
        return PythonInterpreter
    validate_interpreter_factory(configured, name="dspy.settings.interpreter_factory")
    return configured


def create_interpreter(factory: Callable[[], Any] | None) -> Any:
    """An interpreter from ``factory`` (or the configured one), checked to be a ``CodeInterpreter``."""
    interpreter = resolve_interpreter_factory(factory)()
    if not isinstance(interpreter, CodeInterpreter):
        raise TypeError(f"interpreter_factory must return a CodeInterpreter, not {type(interpreter).__name__}.")
    return interpreter


def validate_interpreter(interpreter: Any) -> None:
    """Refuse an object that does not implement ``CodeInterpreter``."""
    if not isinstance(interpreter, CodeInterpreter):
        raise TypeError(f"interpreter must implement CodeInterpreter, not {type(interpreter).__name__}.")
