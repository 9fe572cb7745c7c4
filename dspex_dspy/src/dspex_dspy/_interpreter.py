"""The code interpreter of the module types that run LM-written code: ``code_act``, ``rlm``,
``flex`` (``program_of_thought`` has the same rule in its own file).

The default is DSPy's sandbox (Deno + Pyodide, :mod:`dspex_dspy.sandbox`), held to the limits
both backends share (``sandbox_timeout``, ``sandbox_memory_mb``); when it cannot start, creating
the module is a :class:`~dspex_core.errors.CapabilityError` saying why. ``interpreter=`` may name a
zero-argument factory of dspy ``CodeInterpreter`` objects instead (which sets its own limits). An
unsandboxed interpreter is never chosen silently.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import sandbox_limits
from dspex_core.errors import InputError

#: The create options every such module type takes.
OPTIONS = frozenset({"interpreter", *sandbox_limits.DEFAULTS})


def interpreter_factory(module_type: str, interpreter: Any, limit_options: dict[str, Any]) -> Any:
    """The zero-argument interpreter factory for a module of ``module_type`` (see the module docstring)."""
    limits = sandbox_limits.check(limit_options, module_type)
    sandboxed = interpreter is None or (isinstance(interpreter, str) and interpreter == "sandboxed")
    if limit_options and not sandboxed:
        raise InputError(f"{module_type}: sandbox_timeout and sandbox_memory_mb are the limits of the sandboxed "
                         f"interpreter; an interpreter factory of your own sets its own limits")
    if sandboxed:
        from dspex_dspy.sandbox import check_sandbox, sandbox_factory

        check_sandbox(limits)
        return sandbox_factory(limits)
    if callable(interpreter):
        return interpreter
    raise InputError(f"{module_type}: interpreter must be a zero-argument factory of dspy CodeInterpreter objects "
                     f"(or 'sandboxed', the default), got {interpreter!r}")


def positive(module_type: str, name: str, value: Any, *, none_ok: bool = False) -> None:
    """``value`` must be a positive integer (or ``None`` when ``none_ok``)."""
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{module_type}: {name} must be a positive integer, got {value!r}")
