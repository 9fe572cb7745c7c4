"""Making modules: ``create``, ``acreate``, ``load`` and ``compile``.

Data flows one way: these functions ask the router for candidates, call the chosen
implementation, and wrap the state it returns in a :class:`ModuleRef`; running a reference
(``execute``, ``ref(...)``) is :mod:`dspex_core._module_ref`'s and takes no routing decision.
With ``allow_fallback``, a candidate that fails for a reason other than the caller's input
hands over to the next one, and the reference remembers the rest for its calls.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from dspex_core import _router
from dspex_core._module_ref import ModuleRef, aexecute, execute, run_fallbacks
from dspex_core._session import current_session_id
from dspex_core.config import settings
from dspex_core.errors import CapabilityError, InputError, allows_fallback

__all__ = ["create", "acreate", "execute", "aexecute", "load", "compile"]

_perf = time.perf_counter


def _ref(reg: Any, module_type: str, state: Any, spec: Any, options: Mapping[str, Any], rest: tuple) -> ModuleRef:
    return ModuleRef(reg.backend, module_type, state, current_session_id(), spec, options, reg.implementation,
                     rest, reg.methods)


def create(module_type: str, spec: Any = None, *, implementation: str | None = None, **options: Any) -> ModuleRef:
    """Create a module of ``module_type`` on the best installed backend.

    ``spec`` is what the module type takes first (a signature for ``predict``, a module
    reference for ``retry``, nothing for optimizers); ``options`` go to the backend.
    """
    decision, fallback = _router.select(module_type, implementation, settings())
    _router.emit_route("create", module_type, decision[0].backend)
    last = len(decision) - 1
    for index, reg in enumerate(decision):
        try:
            state = reg.implementation.create(spec, **options)
        except Exception as exc:
            if fallback and index < last and allows_fallback(exc):
                _router.emit_fallback("create", module_type, reg.backend, decision[index + 1].backend, exc)
                continue
            raise
        if index:
            _router.record_fallback("create", decision[0].backend, reg.backend, module_type)
        return ModuleRef(reg.backend, module_type, state, current_session_id(), spec, options, reg.implementation,
                         decision[index + 1:] if fallback else (), reg.methods)
    raise AssertionError("unreachable: the router never returns an empty decision")


async def acreate(module_type: str, spec: Any = None, *, implementation: str | None = None,
                  **options: Any) -> ModuleRef:
    """The async twin of :func:`create` (uses the backend's ``acreate`` when it has one)."""
    decision, fallback = _router.select(module_type, implementation, settings())
    _router.emit_route("create", module_type, decision[0].backend)
    last = len(decision) - 1
    for index, reg in enumerate(decision):
        try:
            if "acreate" in reg.methods:
                state = await reg.implementation.acreate(spec, **options)
            else:
                import asyncio

                state = await asyncio.to_thread(reg.implementation.create, spec, **options)
        except Exception as exc:
            if fallback and index < last and allows_fallback(exc):
                _router.emit_fallback("create", module_type, reg.backend, decision[index + 1].backend, exc)
                continue
            raise
        if index:
            _router.record_fallback("create", decision[0].backend, reg.backend, module_type)
        return _ref(reg, module_type, state, spec, options, decision[index + 1:] if fallback else ())
    raise AssertionError("unreachable: the router never returns an empty decision")


def compile(optimizer: ModuleRef, program: ModuleRef | list[ModuleRef], *, trainset: Any = None,
            valset: Any = None, executor: str | None = None, **options: Any) -> ModuleRef:
    """Optimize ``program`` with ``optimizer`` and return a reference to the compiled program.

    ``trainset`` (and ``valset``) are lists of :class:`~dspex_core.Example` with
    ``with_inputs(...)`` set. The optimizer's backend decides how to run the program; the
    compiled program's demos and instructions are visible through ``ref.describe()``. An
    optimizer that combines programs (``ensemble``) takes a list of them, and no trainset.
    ``executor`` names the executor the optimizer's evaluations run on (default: the configured
    one), as ``dspex.context(executor=...)`` around the call would.
    """
    if executor is not None:
        from dspex_core.config import context

        with context(executor=executor):
            return compile(optimizer, program, trainset=trainset, valset=valset, **options)
    several = isinstance(program, (list, tuple))
    for ref in (optimizer, *(program if several else (program,))):
        if not isinstance(ref, ModuleRef):
            raise InputError(f"expected a ModuleRef from create(...), got {type(ref).__name__}")
    if several and not program:
        raise InputError("compile() got an empty list of programs")
    if several:
        program = list(program)
    elif trainset is None or len(trainset) == 0:
        raise InputError("compile() needs a non-empty trainset (a list of dspex.Example(...).with_inputs(...))")
    if not optimizer.has("compile"):
        if not several and program.has("compile"):
            raise InputError(f"compile(optimizer, program, ...) got the program first: {optimizer.module_type!r} "
                             f"is not an optimizer but {program.module_type!r} is: swap them")
        raise CapabilityError(f"{optimizer.module_type!r} on backend {optimizer.backend!r} is not an optimizer "
                              f"(it has no compile())")
    _router.emit_route("compile", optimizer.module_type, optimizer.backend)
    sets = {"trainset": list(trainset) if trainset is not None else None,
            "valset": list(valset) if valset is not None else None}
    start = _perf()
    try:
        compiled = optimizer.implementation.compile(optimizer.state, program, **sets, **options)
    except Exception as exc:
        _router.emit_execute(optimizer.module_type, optimizer.backend, _perf() - start, type(exc).__name__)
        if optimizer._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return _compile_fallback(optimizer, program, sets, options, exc)
        raise
    _router.emit_execute(optimizer.module_type, optimizer.backend, _perf() - start, "ok")
    return _checked(optimizer.backend, compiled)


def _compile_fallback(optimizer: ModuleRef, program: ModuleRef, sets: dict[str, Any], options: dict[str, Any],
                      error: Exception) -> ModuleRef:
    """The compile on the optimizer's next candidates (an optimizer that cannot compile this program
    or these options, e.g. native asked for something it does not do yet, before any LM call)."""
    def compile_there(reg: Any, state: Any) -> ModuleRef:
        return _checked(reg.backend, reg.implementation.compile(state, program, **sets, **options))

    return run_fallbacks(optimizer, "compile", error, compile_there)


def _checked(backend: str, compiled: Any) -> ModuleRef:
    if not isinstance(compiled, ModuleRef):
        raise TypeError(f"backend {backend!r} compile() must return a ModuleRef, got {type(compiled)}")
    return compiled


def load(source: Any, *, module_type: str | None = None, signature: Any = None, implementation: str | None = None,
         predictor: str | None = None, **options: Any) -> Any:
    """Load a program saved by DSPy (``module.save("x.json")``) or by dspex, on the best backend.

    ``source`` is a path to the ``.json`` file or its already-read dict. What comes back:

    * a saved ``dspy.Predict`` or ``dspy.ChainOfThought`` (one predictor): a :class:`ModuleRef`;
    * a saved ``dspy.Module`` with several predictors (or one under a name of its own): a
      :class:`~dspex_core.Program`, its named predictors as references
      (``prog["draft.predict"]``, ``prog.names()``), each a ``predict`` with the saved fields;
    * with ``predictor="NAME"``: that one predictor's :class:`ModuleRef` (``"self"`` for a
      saved Predict), as ``module_type`` says (``predict`` unless given).

    The module type and signature come from the file (see :mod:`dspex_core.programs`); pass
    ``module_type`` or ``signature`` (e.g. ``"question -> answer: int"``, since DSPy does not
    save types; for several predictors a dict of them by name) to decide them yourself. Routing
    is ``create``'s; the chosen implementation's ``load_state(signature, state, **options)``
    rebuilds each module with the saved demos and instructions. A backend without
    ``load_state`` is a :class:`CapabilityError`, and with ``allow_fallback`` the next
    candidate loads it instead. Calls fall back as a created module's do: the next candidate
    loads the same saved state (once) and serves the call.
    """
    from dspex_core._named_predictors import predictor_names, read_named_predictors, read_one, signature_for
    from dspex_core.programs import detect_module_type, program_from, read_json

    data, name = read_json(source)
    if predictor is not None:
        names = predictor_names(data)
        chosen = signature_for(predictor, signature, names, name) if isinstance(signature, Mapping) else signature
        return _load_program(read_one(data, predictor, chosen, name, module_type), implementation, options)
    if module_type is None and not isinstance(signature, Mapping):
        try:
            detect_module_type(data, name)
        except CapabilityError:
            pass  # several predictors, or one under a name of its own: each named predictor
        else:
            return _load_program(program_from(data, name, signature=signature), implementation, options)
    elif module_type is not None:
        return _load_program(program_from(data, name, module_type=module_type, signature=signature),
                             implementation, options)
    from dspex_core._program import Program

    programs = read_named_predictors(data, name, signature)
    return Program({key: _load_program(program, implementation, options) for key, program in programs.items()},
                   name)


def _load_program(program: Any, implementation: str | None, options: Mapping[str, Any]) -> ModuleRef:
    """One saved program loaded on the backend the router chooses (with fallback)."""
    kind = program.module_type
    decision, fallback = _router.select(kind, implementation, settings())
    _router.emit_route("load", kind, decision[0].backend)
    last = len(decision) - 1
    for index, reg in enumerate(decision):
        try:
            state = _load_on(reg, program, options)
        except Exception as exc:
            if fallback and index < last and allows_fallback(exc):
                _router.emit_fallback("load", kind, reg.backend, decision[index + 1].backend, exc)
                continue
            raise
        ref = _ref(reg, kind, state, program.signature, options, decision[index + 1:] if fallback else ())
        ref._remake = lambda other: _load_on(other, program, options)
        return ref
    raise AssertionError("unreachable: the router never returns an empty decision")


def _load_on(reg: Any, program: Any, options: Mapping[str, Any]) -> Any:
    """``program``'s saved state loaded by ``reg``'s implementation (each gets its own copy)."""
    import copy

    if "load_state" not in reg.methods:
        raise CapabilityError(f"backend {reg.backend!r} cannot load saved {program.module_type!r} programs (its "
                              f"{program.module_type} implementation has no load_state)")
    return reg.implementation.load_state(program.signature, copy.deepcopy(program.state), **options)
