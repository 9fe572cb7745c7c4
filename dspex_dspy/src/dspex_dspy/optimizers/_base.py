"""``OptimizerImplementation``: a DSPy optimizer (teleprompter) as a dspex implementation.

``create(None, metric=..., **config)`` checks the config against the DSPy class's
``__init__`` and stores it (the optimizer's state is its store id, so it lives and dies with
its session like any dspy-backend module). The DSPy object itself is made inside each
``compile``, under the program's LM: some optimizers (MIPROv2) read ``dspy.settings.lm`` when
they are constructed, and a fresh object per compile keeps concurrent compiles from sharing
DSPy's per-run attributes.

``compile(state, program_ref, *, trainset, valset, **options)`` takes a private dspy copy
of the program, checks and converts the sets, guards the metric, runs DSPy's
``compile`` inside ``dspy.context(lm=..., adapter=...)`` and stores the result as a new
program (see :mod:`dspex_dspy.optimizers._program`). Nothing is written to dspy's global
settings.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import ModuleRef
from dspex_core.errors import CapabilityError, InputError
from dspy.utils.exceptions import DSPyError

from dspex_dspy import store
from dspex_dspy._base import DspyImplementation
from dspex_dspy._context import resolve_lm
from dspex_dspy._errors import raise_translated
from dspex_dspy.optimizers._data import convert_set
from dspex_dspy.optimizers._metric import GuardedMetric, check_metric, metric_name
from dspex_dspy.optimizers._options import check_known, parameter_names, required_names
from dspex_dspy.optimizers._program import compiled_ref, student_from
from dspex_dspy.translate import to_dspy_lm

#: Options that hold language models: converted with the backend's LM translation.
LM_OPTIONS = ("prompt_model", "task_model", "reflection_lm")
#: ``compile`` parameters dspex fills itself (the program and the sets).
_COMPILE_OWN = ("student", "trainset", "valset")
#: Deprecated DSPy parameters not offered through dspex.
_COMPILE_HIDDEN = ("requires_permission_to_run",)


class OptimizerImplementation(DspyImplementation):
    """Base of the optimizer implementations; subclasses name the DSPy class.

    It is a :class:`~dspex_dspy._base.DspyImplementation` for the contract's sake (the same
    optional methods as every implementation of this backend, plus ``compile``); an optimizer
    is not a program, so it stores its configuration and has no state of its own.
    """

    #: attribute of ``dspy`` holding the optimizer class
    dspy_class_name: str = ""
    #: whether compiling without a metric makes sense for this optimizer
    metric_required: bool = True
    #: whether DSPy runs ``BootstrapFewShot`` on the program (which refuses compiled programs)
    bootstraps: bool = True
    has_state = False
    #: whether the optimizer also rewrites ``dspy.Flex`` code (GEPA), so a program of only such code will do
    tunes_code: bool = False
    #: ``__init__`` parameters dspex fills at compile time, not offered at create (KNNFewShot's trainset)
    compile_filled: tuple[str, ...] = ()

    # -- the DSPy class and what it accepts -------------------------------------------------
    @property
    def dspy_class(self) -> type:
        return getattr(dspy, self.dspy_class_name)

    def init_options(self) -> tuple[str, ...]:
        return parameter_names(self.dspy_class.__init__, skip=self.compile_filled)

    def compile_options(self) -> tuple[str, ...]:
        return parameter_names(self.dspy_class.compile, skip=_COMPILE_OWN + _COMPILE_HIDDEN)

    def takes_valset(self) -> bool:
        return "valset" in parameter_names(self.dspy_class.compile)

    # -- create -----------------------------------------------------------------------------
    def create(self, spec: Any, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"{self.module_type} takes no spec (got {spec!r}); use "
                             f"create(metric=fn, ...) and then dspex.compile(optimizer, program, trainset=...)")
        check_known(self.module_type, "(create)", options, self.init_options())
        takes_metric = "metric" in self.init_options()
        if takes_metric:
            check_metric(self.module_type, options.get("metric"), self.metric_required)
        missing = [name for name in required_names(self.dspy_class.__init__, skip=self.compile_filled)
                   if name not in options]
        if missing:
            raise InputError(f"{self.module_type} needs {', '.join(missing)}=")
        for name in LM_OPTIONS:
            if options.get(name) is not None:
                to_dspy_lm(options[name])  # a bad LM fails now, not in the middle of a compile
        self.check_config(options)
        return store.put(self.module_type, dict(options), meta={"inputs": None})

    def check_config(self, options: Mapping[str, Any]) -> None:
        """Subclass hook: reject values DSPy would reject, before any LM call."""

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        """Subclass hook: reject compile options that cannot work together."""

    # -- not a program ----------------------------------------------------------------------
    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        raise InputError(f"{self.module_type} is an optimizer and is not executed; use "
                         f"dspex.compile(optimizer, program, trainset=[...]) and run the program it returns")

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        return self.execute(state, inputs, **options)

    def describe(self, state: str) -> dict[str, Any]:
        config = store.get(state)
        shown = {k: (metric_name(v) if k == "metric" and v is not None else
                     repr(v) if k in LM_OPTIONS and v is not None else v) for k, v in config.items()}
        return {"module_id": state, "optimizer": f"dspy.{self.dspy_class_name}", "config": shown,
                "init_options": list(self.init_options()), "compile_options": list(self.compile_options())}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError(f"{self.module_type} is an optimizer and has no learned state; save the program "
                              f"that dspex.compile(...) returns")

    # -- compile ----------------------------------------------------------------------------
    def compile(self, state: str, program_ref: ModuleRef, *, trainset: list[Any], valset: list[Any] | None = None,
                **options: Any) -> ModuleRef:
        config = dict(store.get(state))
        check_known(self.module_type, "(dspex.compile)", options, self.compile_options())
        if valset is not None:
            if not self.takes_valset():
                raise InputError(f"{self.module_type} does not use a valset (dspy.{self.dspy_class_name}.compile "
                                 f"has none); drop valset= (it scores on the trainset)")
            if len(valset) == 0:
                raise InputError(f"valset is empty; pass valset=None to let {self.module_type} use the trainset, "
                                 f"or give it examples")
        student = student_from(program_ref, tunes_code=self.tunes_code)
        if self.bootstraps and getattr(student.module, "_compiled", False):
            raise InputError(f"{self.module_type} bootstraps demos and needs an uncompiled program, but this one was "
                             f"already compiled by a bootstrapping optimizer; compile the original program and pass "
                             f"the compiled one as teacher= (as in DSPy)")
        teacher = options.get("teacher")
        if teacher is not None:
            options["teacher"] = _teacher(student, student_from(teacher, role="teacher").module)
        where: dict[int, tuple[str, int, Any]] = {}
        dspy_trainset = convert_set("trainset", trainset, student.inputs, where)
        dspy_valset = convert_set("valset", valset, student.inputs, where) if valset is not None else None
        self.check_compile(config, options, dspy_trainset, dspy_valset)

        config, guard = self.prepared_config(config, where)
        lm = resolve_lm(None, student.meta.get("lm"))
        sets = {"trainset": dspy_trainset}
        if self.takes_valset():
            sets["valset"] = dspy_valset
        try:
            with dspy.context(lm=lm, adapter=student.meta.get("adapter")):
                optimizer = self._construct(self.finish_config(config, sets, where))
                compiled = self.run_compile(optimizer, student, sets, options, lm)
        except Exception as exc:
            if guard is not None:
                guard.raise_if_failed()
            if isinstance(exc, DSPyError):
                # an LM failure (its text may hold a key: raised without the original), or a reply
                # the optimizer's own requests could not parse (COPRO's and MIPROv2's proposals):
                # dspex's error, as native raises it
                raise_translated(exc, *_lms_in_play(lm, config, student.module, options.get("teacher")))
            raise
        if guard is not None:
            guard.raise_if_failed()
        return compiled_ref(program_ref, compiled, student)

    # -- hooks for optimizers whose DSPy class is called differently ---------------------------
    def guard_metric(self, metric: Any, where: dict[int, tuple[str, int, Any]]) -> Any:
        """The metric as DSPy calls it (GEPA's takes more arguments)."""
        return GuardedMetric(metric, where)

    def prepared_config(self, config: Mapping[str, Any],
                        where: dict[int, tuple[str, int, Any]]) -> tuple[dict[str, Any], Any]:
        """The stored config with its metric guarded and its LM options as dspy LMs; and the guard."""
        config = dict(config)
        guard = None
        if config.get("metric") is not None:
            guard = config["metric"] = self.guard_metric(config["metric"], where)
        for name in LM_OPTIONS:
            if config.get(name) is not None:
                config[name] = to_dspy_lm(config[name])
        return config, guard

    def finish_config(self, config: dict[str, Any], sets: dict[str, Any],
                      where: dict[int, tuple[str, int, Any]]) -> dict[str, Any]:
        """The keyword arguments of the DSPy class for this compile (KNNFewShot takes the trainset)."""
        return config

    def run_compile(self, optimizer: Any, student: Any, sets: dict[str, Any], options: dict[str, Any],
                    lm: Any) -> Any:
        """DSPy's ``compile`` on the student's private copy."""
        return optimizer.compile(student.module, **sets, **options)

    def unwrap(self, state: str) -> Any:
        """A DSPy optimizer object made from the stored config (DSPy makes one per compile; this is a
        fresh one, its metric the user's own)."""
        config = dict(store.get(state))
        for name in LM_OPTIONS:
            if config.get(name) is not None:
                config[name] = to_dspy_lm(config[name])
        return self._construct(self.finish_config(config, {}, {}))

    def _construct(self, config: dict[str, Any]) -> Any:
        try:
            return self.dspy_class(**config)
        except (ValueError, TypeError) as exc:
            # Constructors only validate their arguments: a failure here is bad config.
            raise InputError(f"{self.module_type}: dspy.{self.dspy_class_name} rejected the config: {exc}") from exc

    def __repr__(self) -> str:
        return f"<dspex_dspy optimizer {self.module_type} (dspy.{self.dspy_class_name})>"


def _lms_in_play(lm: Any, config: Mapping[str, Any], *programs: Any) -> list[Any]:
    """Every dspy LM a compile may call: the program's, the optimizer's LM options, and any
    LM set on a predictor of the student or teacher (their keys are redacted from errors)."""
    lms = [lm, *(config[name] for name in LM_OPTIONS if config.get(name) is not None)]
    for program in programs:
        if program is not None and hasattr(program, "predictors"):
            lms += [p.lm for p in program.predictors() if getattr(p, "lm", None) is not None]
    return lms


def _teacher(student: Any, teacher: Any) -> Any:
    """The teacher must have the student's structure (DSPy asserts it; say it clearly)."""
    names = [(name, p.signature.signature) for name, p in student.module.named_predictors()]
    theirs = [(name, p.signature.signature) for name, p in teacher.named_predictors()]
    if names != theirs:
        raise InputError(f"the teacher must have the same predictors and signatures as the program: the program has "
                         f"{names}, the teacher {theirs}")
    return teacher
