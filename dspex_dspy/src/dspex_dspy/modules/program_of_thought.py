"""``program_of_thought`` through ``dspy.ProgramOfThought``: answer by writing and running code."""

from __future__ import annotations

import warnings
from typing import Any

import dspy
from dspex_core.backend import sandbox_limits
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos


class ProgramOfThoughtImpl(DspyImplementation):
    """``dspy.ProgramOfThought`` with DSPy's sandboxed interpreter (Deno + Pyodide).

    ``interpreter=`` may name a zero-argument factory of dspy ``CodeInterpreter`` objects
    to use instead; without it the sandbox is used and, when it cannot start, creating the
    module raises :class:`~dspex_core.errors.CapabilityError` explaining why (see
    :mod:`dspex_dspy.sandbox`). An unsandboxed interpreter is never chosen silently. The sandbox's
    limits, ``sandbox_timeout`` and ``sandbox_memory_mb``, are both backends' options
    (``dspex_core.backend.sandbox_limits``); with a factory of the caller's own they are an error.
    """

    renders = True  # its first request, as dspy would send it (dspex_dspy._render)

    module_type = "program_of_thought"
    create_options = frozenset({"max_iters", "interpreter", "instructions", "demos", *sandbox_limits.DEFAULTS})
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, max_iters: int = 3, interpreter: Any = None, instructions: str | None = None,
              demos: Any = None, **limit_options: Any) -> Any:
        if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
            raise InputError(f"max_iters must be a positive integer, got {max_iters!r}")
        limits = sandbox_limits.check(limit_options, self.module_type)
        sandboxed = interpreter is None or (isinstance(interpreter, str) and interpreter == "sandboxed")
        if limit_options and not sandboxed:
            raise InputError(f"{self.module_type}: sandbox_timeout and sandbox_memory_mb are the limits of the "
                             "sandboxed interpreter; an interpreter factory of your own sets its own limits")
        if sandboxed:
            from dspex_dspy.sandbox import check_sandbox, sandbox_factory

            check_sandbox(limits)
            factory = sandbox_factory(limits)
        elif callable(interpreter):
            factory = interpreter
        else:
            raise InputError("interpreter must be a zero-argument factory of dspy CodeInterpreter objects "
                             f"(or 'sandboxed', the default), got {interpreter!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "ProgramOfThought is deprecated" (DSPy 3.4)
            module = dspy.ProgramOfThought(build_signature(spec, instructions), max_iters=max_iters,
                                           interpreter_factory=factory)
        if demos is not None:
            set_demos(module, demos)
        return module

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        try:
            return module(**kwargs)
        except RuntimeError as exc:
            if "Max hops reached" in str(exc):
                raise InputError(f"program_of_thought: {exc}") from exc
            raise


implementation = ProgramOfThoughtImpl()
