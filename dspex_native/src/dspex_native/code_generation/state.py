"""A ``program_of_thought`` module's state: its signature, ``max_iters``, the interpreter
factory and the three step predictors (DSPy's ``code_generate``, ``code_regenerate`` and
``generate_output``), each a native ChainOfThought predictor state.

``create`` takes the options the dspy backend takes: ``lm``, ``adapter``, ``demos`` (given to
every step, as DSPy's ``LabeledFewShot`` gives demos to every predictor), ``instructions``
(the module signature's, which DSPy's steps do not show the LM), ``max_iters`` (a positive
integer, default 3) and ``interpreter`` (``None``/``"sandboxed"``: the native sandbox, checked
here; or a zero-argument factory of interpreters), and the sandbox's limits ``sandbox_timeout``
and ``sandbox_memory_mb`` (``dspex_core.backend.sandbox_limits``: both backends' options; with a
factory of the caller's own they are an error, since they would not apply). Everything is
checked here, before any LM call; the sandbox last, since checking it may start it.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core.backend import Signature, sandbox_limits
from dspex_core.errors import InputError

from dspex_native.code_generation.signatures import MODES, check_names, step_signature
from dspex_native.predictor.options import resolve_signature
from dspex_native.predictor.state import PredictState, build_state

MODULE_TYPE = "program_of_thought"
CREATE_OPTIONS = frozenset({"lm", "adapter", "demos", "instructions", "max_iters", "interpreter",
                            *sandbox_limits.DEFAULTS})
#: DSPy's attribute names of the steps' predictors, in its ``named_predictors()`` order.
PREDICTORS = ("code_generate.predict", "code_regenerate.predict", "generate_output.predict")
SANDBOXED = "sandboxed"


class ProgramOfThoughtState:
    """What ``create`` returns: the module's signature and options, and its step predictors."""

    __slots__ = ("signature", "max_iters", "factory", "interpreter", "steps", "lm", "adapter", "limits")

    def __init__(self, signature: Signature, max_iters: int, factory: Callable[[], Any], interpreter: Any,
                 steps: tuple[PredictState, PredictState, PredictState], lm: Any, adapter: Any,
                 limits: sandbox_limits.Limits | None = None):
        self.signature = signature
        self.max_iters = max_iters
        self.factory = factory
        self.interpreter = interpreter  # the option as given (None: the sandbox), to re-create the module
        self.steps = steps
        self.lm = lm
        self.adapter = adapter
        self.limits = limits  # the sandbox's (None with an interpreter factory of the caller's)

    @property
    def generate(self) -> PredictState:
        return self.steps[0]

    @property
    def regenerate(self) -> PredictState:
        return self.steps[1]

    @property
    def answer(self) -> PredictState:
        return self.steps[2]

    def __repr__(self) -> str:
        return f"ProgramOfThoughtState({self.signature.signature!r}, max_iters={self.max_iters})"


def check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - CREATE_OPTIONS)
    if unknown:
        raise InputError(f"{MODULE_TYPE}: unknown option(s) {', '.join(map(repr, unknown))}; accepted: "
                         f"{', '.join(sorted(CREATE_OPTIONS))} (the steps' LM settings come from the LM)")


def check_max_iters(max_iters: Any) -> int:
    if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
        raise InputError(f"max_iters must be a positive integer, got {max_iters!r}")
    return max_iters


def interpreter_factory(interpreter: Any, limits: sandbox_limits.Limits | None = None) -> Callable[[], Any]:
    """The factory of the interpreters the module's calls run code in (see the module docstring);
    the sandbox's sessions are held to ``limits`` (the defaults when ``None``)."""
    if interpreter is None or (isinstance(interpreter, str) and interpreter == SANDBOXED):
        import functools

        from dspex_native.sandbox.interpreter import PyodideInterpreter
        from dspex_native.sandbox.pool import check
        from dspex_native.sandbox.runtime import SandboxUnavailable

        try:
            runtime = check(limits)
        except SandboxUnavailable as exc:
            raise SandboxUnavailable(f"{MODULE_TYPE} runs the code the LM writes in a sandbox (Pyodide in Deno), "
                                     f"and {exc}. dspex never runs that code outside the sandbox unless you pass "
                                     "interpreter=<a zero-argument factory of interpreters> yourself") from None
        return functools.partial(PyodideInterpreter, runtime)
    if callable(interpreter) and not isinstance(interpreter, type) and callable(getattr(interpreter, "execute", None)):
        raise InputError(f"{MODULE_TYPE}: interpreter= takes a zero-argument factory of interpreters, and "
                         f"{type(interpreter).__name__} is an interpreter itself; pass e.g. lambda: make_one()")
    if callable(interpreter):
        return interpreter
    raise InputError(f"{MODULE_TYPE}: interpreter must be a zero-argument factory of interpreters (objects with "
                     f"execute(code) and shutdown()), or {SANDBOXED!r} (the default), got {interpreter!r}")


def build(spec: Any, options: dict[str, Any]) -> ProgramOfThoughtState:
    """The state for ``spec`` and the create ``options`` (checked; see the module docstring)."""
    check_options(options)
    signature = resolve_signature(spec, options.get("instructions"), MODULE_TYPE)
    check_names(signature)
    max_iters = check_max_iters(options.get("max_iters", 3))
    step_options = {"lm": options.get("lm"), "adapter": options.get("adapter"), "demos": options.get("demos")}
    steps = tuple(build_state(MODULE_TYPE, step_signature(signature, mode), step_options, {}) for mode in MODES)
    interpreter = options.get("interpreter")
    limits = sandbox_limits.check(options, MODULE_TYPE)
    own = interpreter is not None and not (isinstance(interpreter, str) and interpreter == SANDBOXED)
    if own and any(name in options for name in sandbox_limits.DEFAULTS):
        raise InputError(f"{MODULE_TYPE}: sandbox_timeout and sandbox_memory_mb are the limits of the sandboxed "
                         "interpreter; an interpreter factory of your own sets its own limits")
    factory = interpreter_factory(interpreter, limits)
    return ProgramOfThoughtState(signature, max_iters, factory, interpreter, steps, steps[0].lm, options.get("adapter"),
                                 None if own else limits)


def with_steps(state: ProgramOfThoughtState, steps: tuple[PredictState, ...]) -> ProgramOfThoughtState:
    """``state`` with other step predictors (a loaded saved state)."""
    return ProgramOfThoughtState(state.signature, state.max_iters, state.factory, state.interpreter, tuple(steps),
                                 state.lm, state.adapter, state.limits)
