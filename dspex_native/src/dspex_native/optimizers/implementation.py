"""What the native optimizer module types share: DSPy's options, ``create``, ``describe`` and the
checks a ``dspex.compile`` makes before the first LM call.

An optimizer's state is its checked configuration; ``compile(state, program, trainset=...,
valset=..., **options)`` checks the program (native, with listed predictors), the compile options
(DSPy's ``compile`` parameters), the sets and the LM, then runs the subclass's :meth:`run`, and
returns a new reference to the compiled program (the user's program is never changed).
Option names and defaults are DSPy 3.4's, and so are the messages of the dspy backend's
checks, so that a user sees the same error whichever backend compiles.
"""

from __future__ import annotations

import contextlib
from typing import Any, Mapping

from dspex_core.backend import Implementation, ModuleRef, check_example_set
from dspex_core.config import context as settings_context
from dspex_core.config import settings as current_settings
from dspex_core.errors import InputError

from dspex_native.optimizers.program import Program, is_compiled


def _metric_name(metric: Any) -> str:
    return getattr(metric, "__qualname__", None) or getattr(metric, "__name__", None) or type(metric).__name__


class OptimizerImplementation(Implementation):
    """Base of the native optimizers; a subclass lists DSPy's options and implements :meth:`run`."""

    module_type = ""
    #: DSPy's class name, for descriptions
    dspy_class_name = ""
    #: ``__init__`` parameters with their defaults, in DSPy's order
    init_defaults: Mapping[str, Any] = {}
    #: ``compile`` parameters besides student/trainset/valset, in DSPy's order
    compile_defaults: Mapping[str, Any] = {}
    metric_required = False
    takes_valset = False
    #: whether it bootstraps (refuses a program compiled by a bootstrapping optimizer)
    bootstraps = True
    needs_lm = True

    # -- create -------------------------------------------------------------------------------
    def create(self, spec: Any = None, **options: Any) -> dict[str, Any]:
        if spec is not None:
            raise InputError(f"{self.module_type} takes no spec (got {spec!r}); use "
                             f"create(metric=fn, ...) and then dspex.compile(optimizer, program, trainset=...)")
        _check_known(self.module_type, "(create)", options, self.init_defaults)
        metric = options.get("metric")
        if "metric" in self.init_defaults:
            if metric is None and self.metric_required:
                raise InputError(f"{self.module_type} needs metric=: a callable (example, prediction, trace=None) "
                                 f"-> score, e.g. dspex.{self.dspy_class_name}.create(metric=fn)")
            if metric is not None and not callable(metric):
                raise InputError(f"metric must be a callable (example, prediction, trace=None) -> score, "
                                 f"got {type(metric).__name__} {metric!r}"[:300])
        config = {**self.init_defaults, **options}
        self.check_config(config)
        return config

    async def acreate(self, spec: Any = None, **options: Any) -> dict[str, Any]:
        return self.create(spec, **options)  # no I/O

    def check_config(self, config: dict[str, Any]) -> None:
        """Subclass hook: reject values before any LM call."""

    # -- not a program --------------------------------------------------------------------------
    def execute(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Any:
        raise InputError(f"{self.module_type} is an optimizer and is not executed; use "
                         f"dspex.compile(optimizer, program, trainset=[...]) and run the program it returns")

    def describe(self, state: Mapping[str, Any]) -> dict[str, Any]:
        # LMs (prompt_model, a teacher's lm) are shown by their repr, which never holds a key
        shown = {k: (_metric_name(v) if k == "metric" and v is not None else
                     repr(v) if k in ("teacher_settings", "prompt_model", "task_model") and v else v)
                 for k, v in state.items()}
        return {"backend": "native", "module_type": self.module_type, "optimizer": self.dspy_class_name,
                "config": shown, "init_options": list(self.init_defaults),
                "compile_options": list(self.compile_defaults)}

    # -- compile ----------------------------------------------------------------------------------
    def compile(self, state: Mapping[str, Any], program: Any, *, trainset: list[Any], valset: list[Any] | None = None,
                **options: Any) -> ModuleRef:
        _check_known(self.module_type, "(dspex.compile)", options, self.compile_defaults)
        if valset is not None:
            if not self.takes_valset:
                raise InputError(f"{self.module_type} does not use a valset (dspy.{self.dspy_class_name}.compile has "
                                 f"none); drop valset= (it scores on the trainset)")
            if len(valset) == 0:
                raise InputError(f"valset is empty; pass valset=None to let {self.module_type} use the trainset, "
                                 f"or give it examples")
        student = Program.of(program, self.module_type)
        if self.bootstraps and is_compiled(student.state):
            raise InputError(f"{self.module_type} bootstraps demos and needs an uncompiled program, but this one was "
                             f"already compiled by a bootstrapping optimizer; compile the original program and pass "
                             f"the compiled one as teacher= (as in DSPy)")
        teacher = options.pop("teacher", None) if "teacher" in self.compile_defaults else None
        teacher = Program.of(teacher, self.module_type, role="teacher") if teacher is not None else None
        inputs = student.input_names()
        trainset = check_example_set("trainset", trainset, inputs)
        valset = check_example_set("valset", valset, inputs) if valset is not None else None
        lm = None
        if self.needs_lm:
            lm = student.lm if student.lm is not None else current_settings().lm
            own_lm = (state.get("teacher_settings") or {}).get("lm") or state.get("task_model")
            if lm is None and own_lm is None:
                raise InputError(f"no LM for {self.module_type}: configure one (dspex.configure(lm=...)) or create "
                                 f"the program with lm=")
        adapter = student.options.get("adapter")
        # The program's adapter is the compile's, as the dspy backend runs DSPy's compile inside
        # dspy.context(adapter=...): the optimizer's own requests (COPRO's and MIPROv2's
        # proposals) go out in the program's format too.
        with settings_context(adapter=adapter) if adapter is not None else contextlib.nullcontext():
            compiled_state, bootstrapped = self.run(state, student, teacher, trainset, valset, lm,
                                                    {**self.compile_defaults, **options})
        return student.compiled(compiled_state, bootstrapped=bootstrapped)

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        """The compiled program's state, and whether it was bootstrapped."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<dspex_native optimizer {self.module_type}>"


def _check_known(module_type: str, where: str, given: Mapping[str, Any], valid: Mapping[str, Any]) -> None:
    unknown = [name for name in given if name not in valid]
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r} {where}; "
                         f"valid: {', '.join(valid) or 'none'}")


def check_count(module_type: str, config: Mapping[str, Any], name: str, minimum: int = 0) -> None:
    """``config[name]`` must be an integer of at least ``minimum`` (DSPy fails later, far from the cause)."""
    value = config.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"{module_type}: {name} must be an integer >= {minimum}, got {value!r}")
