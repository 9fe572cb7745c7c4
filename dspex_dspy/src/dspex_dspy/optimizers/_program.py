"""The program to optimize, as a dspy module, and the compiled program, as a ``ModuleRef``.

A program made by the dspy backend is looked up in the session store and deep-copied, so
compiling never changes the user's program. A program made by another backend (native, or a
third party's) is rebuilt on the dspy backend from the ``spec`` and ``options`` its
reference remembers. The compiled dspy module goes back into the store through the program
type's own dspy implementation, so the new reference runs, describes and saves itself
exactly like any dspy-backend module of that type.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import ModuleRef, current_session_id, module_ref, module_types
from dspex_core.errors import InputError

from dspex_dspy import store

#: Module types that are optimizers (they compile programs, they are not programs), as the
#: module-type table says.
OPTIMIZER_TYPES = frozenset(name for name, row in module_types().items() if row.kind == "optimizer")


class Student:
    """A dspy module to optimize, with the LM and adapter the program was created with."""

    __slots__ = ("module", "meta")

    def __init__(self, module: Any, meta: dict[str, Any]):
        self.module = module
        self.meta = meta

    @property
    def inputs(self) -> Any:
        return self.meta.get("inputs")


def check_program(ref: Any, role: str = "program") -> ModuleRef:
    """``ref`` must be a program's ``ModuleRef``, not an optimizer's."""
    if not isinstance(ref, ModuleRef):
        raise InputError(f"the {role} must be a ModuleRef from dspex.create(...) (e.g. dspex.Predict.create(...)), "
                         f"got {type(ref).__name__}")
    if ref.module_type in OPTIMIZER_TYPES:
        raise InputError(f"the {role} is an optimizer ({ref.module_type!r}); call "
                         f"dspex.compile(optimizer, program, trainset=...) with the optimizer first and the program "
                         f"to optimize second")
    return ref


def student_from(ref: ModuleRef, role: str = "program", *, tunes_code: bool = False) -> Student:
    """A private dspy copy of the program behind ``ref``; ``tunes_code``: the optimizer also
    rewrites the code of ``dspy.Flex`` modules (GEPA), so a program of only such code will do."""
    check_program(ref, role)
    if ref.backend == "dspy":
        module, meta = store.entry(ref.state)
        return Student(_copy(module, ref, tunes_code), dict(meta))
    return _rebuild(ref, role)


def _has_code(module: Any) -> bool:
    import dspy

    return isinstance(module, dspy.Flex) or any(isinstance(sub, dspy.Flex) for _, sub in module.named_sub_modules())


def _copy(module: Any, ref: ModuleRef, tunes_code: bool = False) -> Any:
    if not hasattr(module, "named_predictors") or not (module.named_predictors() or (tunes_code and _has_code(module))):
        hint = "; gepa tunes a flex module's code" if _has_code(module) else ""
        raise InputError(f"a {ref.module_type!r} module has no predictors for this optimizer to tune{hint}")
    return module.deepcopy()


def _rebuild(ref: ModuleRef, role: str) -> Student:
    """Re-create a non-dspy program on the dspy backend from its spec and options."""
    from dspex_dspy.plugin import implementation_for

    impl = implementation_for(ref.module_type)
    try:
        module_id = impl.create(ref.spec, **ref.options)
    except InputError as exc:
        raise InputError(f"the {role} was made by the {ref.backend!r} backend and the dspy backend, which runs the "
                         f"optimizers, cannot rebuild it from its spec and options: {exc}") from exc
    try:
        module, meta = store.entry(module_id)
        return Student(_copy(module, ref), dict(meta))
    finally:
        store.free(module_id)


def compiled_ref(program: ModuleRef, compiled: Any, student: Student) -> ModuleRef:
    """Store the compiled dspy module through the program type's implementation and return a
    new reference to it."""
    from dspex_dspy.plugin import BACKEND, implementation_for

    session_id = current_session_id()
    state = implementation_for(program.module_type).store(compiled, lm=student.meta.get("lm"),
                                                           adapter=student.meta.get("adapter"), session_id=session_id)
    return module_ref(BACKEND, program.module_type, state, spec=program.spec, options=program.options,
                      session_id=session_id)
