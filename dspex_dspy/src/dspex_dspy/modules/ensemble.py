"""``ensemble`` through ``dspy.Ensemble``: several programs as one.

DSPy's ``Ensemble.compile(programs)`` takes a list of programs and no trainset:
``dspex.compile(ensemble, [ref, ref, ...])``. The result is a new program of the ``dspy_module``
type (DSPy's ``EnsembledProgram``), which calls every program (or ``size`` of them, drawn at
random) and reduces their predictions to one with ``reduce_fn``. DSPy returns the list of
predictions when there is no ``reduce_fn``; a dspex module returns one prediction, so dspex asks
for one: ``"majority"`` (``dspy.majority``: the most common value of the last output field) or a
function from the list of predictions to one prediction.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import ModuleRef, module_ref
from dspex_core.errors import InputError

from dspex_dspy import store
from dspex_dspy.optimizers._base import OptimizerImplementation
from dspex_dspy.optimizers._program import student_from
from dspex_dspy.translate import from_dspy_prediction, to_dspy_lm, to_dspy_prediction


class _Reduce:
    """The user's reduce function, given dspex predictions; its result as dspy's."""

    def __init__(self, fn: Any):
        self.fn = fn

    def __call__(self, outputs: list[Any]) -> Any:
        return to_dspy_prediction(self.fn([from_dspy_prediction(o) for o in outputs]))


class EnsembleImpl(OptimizerImplementation):
    """``dspy.Ensemble``: create options ``reduce_fn`` (required: ``"majority"`` or a function from
    a list of predictions to one) and ``size`` (how many programs each call runs, drawn at random;
    default all). ``dspex.compile(ensemble, [ref, ...])`` takes the programs, no trainset; each
    keeps the LM it was created with."""

    module_type = "ensemble"
    dspy_class_name = "Ensemble"
    metric_required = False
    bootstraps = False

    def check_config(self, options: Mapping[str, Any]) -> None:
        reduce_fn = options.get("reduce_fn")
        if not (reduce_fn == "majority" or callable(reduce_fn)):
            raise InputError(f"ensemble needs reduce_fn=: 'majority' (dspy.majority) or a function from the list of "
                             f"predictions to one prediction (a dspex module returns one), got {reduce_fn!r}")
        size = options.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise InputError(f"ensemble: size must be a positive integer or None, got {size!r}")
        if options.get("deterministic"):
            raise InputError("ensemble: deterministic=True is not built in DSPy 3.4 (it asserts False)")

    def compile(self, state: str, program_ref: Any, *, trainset: Any = None, valset: Any = None,
                **options: Any) -> ModuleRef:
        if not isinstance(program_ref, list):
            raise InputError("ensemble combines several programs: dspex.compile(ensemble, [ref, ref, ...]) with a "
                             "list of ModuleRefs")
        if trainset or valset or options:
            raise InputError("ensemble takes only the list of programs (dspy.Ensemble.compile(programs) has no "
                             "trainset, valset or other options)")
        config = dict(store.get(state))
        size = config.get("size")
        if size is not None and size > len(program_ref):
            raise InputError(f"ensemble: size={size} but only {len(program_ref)} programs were given")
        students = [student_from(ref, role=f"programs[{i}]") for i, ref in enumerate(program_ref)]
        for student in students:
            if student.meta.get("lm") is not None:  # a program keeps the LM it was created with
                student.module.set_lm(to_dspy_lm(student.meta["lm"]))
        reduce_fn = config["reduce_fn"]
        config["reduce_fn"] = dspy.majority if reduce_fn == "majority" else _Reduce(reduce_fn)
        ensembled = self._construct(config).compile([student.module for student in students])
        from dspex_dspy.plugin import BACKEND, implementation_for

        first = students[0]
        new_state = implementation_for("dspy_module").store(ensembled, adapter=first.meta.get("adapter"))
        store.entry(new_state)[1]["inputs"] = first.inputs
        return module_ref(BACKEND, "dspy_module", new_state)


implementation = EnsembleImpl()
