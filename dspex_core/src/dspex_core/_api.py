"""The generic user API: ``create``, ``execute``, their async twins, and ``compile``.

Data flows one way: these functions ask the router for candidates, call the chosen
implementation, and wrap its state in a :class:`ModuleRef`. Executing a reference calls the
implementation that made it directly; the routing decision is not taken again, so the per-call
cost is a telemetry check and a method call.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any, Mapping

from dspex_core import _router, telemetry
from dspex_core._module_ref import ModuleRef
from dspex_core._session import current_session_id
from dspex_core.config import settings
from dspex_core.errors import CapabilityError, InputError, allows_fallback

_perf = time.perf_counter
_telemetry_handlers = telemetry._handlers  # the live dict: empty means no event can reach anyone

#: Where a caller that wants to know (a pipeline step) collects the fallbacks of its calls:
#: ``(operation, failed_backend, serving_backend, subject)`` per candidate that took over;
#: ``subject`` is the module type for ``create`` and the ``ModuleRef`` for ``execute``, so
#: that fallbacks of modules nested inside the caller's can be told apart. ``None`` (the
#: default) records nothing; a list set here is shared with worker threads and copied
#: contexts, so fallbacks that run in ``asyncio.to_thread`` are seen too.
fallback_record: ContextVar[list[tuple[str, str, str, Any]] | None] = ContextVar("dspex_fallback_record",
                                                                                 default=None)


def _record_fallback(operation: str, failed: str, to: str, subject: Any) -> None:
    record = fallback_record.get()
    if record is not None:
        record.append((operation, failed, to, subject))


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
            _record_fallback("create", decision[0].backend, reg.backend, module_type)
        rest = decision[index + 1:] if fallback else ()
        return ModuleRef(reg.backend, module_type, state, current_session_id(), spec, options,
                         reg.implementation, rest)
    raise AssertionError("unreachable: the router never returns an empty decision")


async def acreate(module_type: str, spec: Any = None, *, implementation: str | None = None,
                  **options: Any) -> ModuleRef:
    """The async twin of :func:`create` (uses the backend's ``acreate`` when it has one)."""
    decision, fallback = _router.select(module_type, implementation, settings())
    _router.emit_route("create", module_type, decision[0].backend)
    last = len(decision) - 1
    for index, reg in enumerate(decision):
        try:
            acreate_impl = getattr(reg.implementation, "acreate", None)
            if acreate_impl is not None:
                state = await acreate_impl(spec, **options)
            else:
                import asyncio

                state = await asyncio.to_thread(reg.implementation.create, spec, **options)
        except Exception as exc:
            if fallback and index < last and allows_fallback(exc):
                _router.emit_fallback("create", module_type, reg.backend, decision[index + 1].backend, exc)
                continue
            raise
        if index:
            _record_fallback("create", decision[0].backend, reg.backend, module_type)
        rest = decision[index + 1:] if fallback else ()
        return ModuleRef(reg.backend, module_type, state, current_session_id(), spec, options,
                         reg.implementation, rest)
    raise AssertionError("unreachable")


def _check_ref(ref: Any) -> ModuleRef:
    if not isinstance(ref, ModuleRef):
        raise InputError(f"expected a ModuleRef from create(...), got {type(ref).__name__}")
    return ref


def _check_inputs(inputs: Any) -> Mapping[str, Any]:
    """``None`` -> ``{}``; an :class:`Example` -> its inputs as a dict; anything else must be a mapping."""
    if inputs is None:
        return {}
    from dspex_core._example import Example

    if isinstance(inputs, Example):
        return (inputs.inputs() if inputs.input_keys is not None else inputs).toDict()
    if isinstance(inputs, Mapping):
        return inputs
    raise InputError(f"inputs must be a mapping of field names to values (or an Example), "
                     f"got {type(inputs).__name__}")


def execute(ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """Run a created module on ``inputs`` and return its :class:`Prediction`."""
    if type(ref) is not ModuleRef:
        _check_ref(ref)
    if type(inputs) is not dict:
        inputs = _check_inputs(inputs)
    if not _telemetry_handlers or not settings().telemetry_enabled:  # no events to build, no clock to read
        try:
            return (ref._impl or ref.implementation).execute(ref.handle, inputs, **options)
        except Exception as exc:
            if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
                return _execute_fallback(ref, inputs, options, exc)
            raise
    backend = ref.backend
    _router.emit_route("execute", ref.module_type, backend)
    impl = ref._impl or ref.implementation
    start = _perf()
    try:
        result = impl.execute(ref.handle, inputs, **options)
    except Exception as exc:
        _router.emit_execute(ref.module_type, backend, _perf() - start, type(exc).__name__)
        if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return _execute_fallback(ref, inputs, options, exc)
        raise
    _router.emit_execute(ref.module_type, backend, _perf() - start, "ok")
    return result


def _execute_fallback(ref: ModuleRef, inputs: Mapping[str, Any], options: dict[str, Any],
                      error: Exception) -> Any:
    failed = ref.backend
    candidates = ref._fallbacks
    for index, reg in enumerate(candidates):
        _router.emit_fallback("execute", ref.module_type, failed, reg.backend, error)
        start = _perf()
        try:
            state = _fallback_state(ref, reg)
            result = reg.implementation.execute(state, inputs, **options)
        except Exception as exc:
            _router.emit_execute(ref.module_type, reg.backend, _perf() - start, type(exc).__name__)
            if index < len(candidates) - 1 and allows_fallback(exc):
                failed, error = reg.backend, exc
                continue
            raise
        _router.emit_execute(ref.module_type, reg.backend, _perf() - start, "ok")
        _record_fallback("execute", ref.backend, reg.backend, ref)
        return result
    raise error


def _fallback_state(ref: ModuleRef, reg: Any) -> Any:
    """The module re-created on a fallback backend, made once per reference."""
    if ref._fallback_states is None:
        ref._fallback_states = {}
    if reg.backend not in ref._fallback_states:
        if ref._remake is not None:
            ref._fallback_states[reg.backend] = ref._remake(reg)
        else:
            ref._fallback_states[reg.backend] = reg.implementation.create(ref.spec, **ref.options)
    return ref._fallback_states[reg.backend]


async def aexecute(ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """The async twin of :func:`execute` (the backend's ``aexecute``, else a worker thread)."""
    _check_ref(ref)
    inputs = _check_inputs(inputs)
    backend = ref.backend
    _router.emit_route("execute", ref.module_type, backend)
    import asyncio  # only async callers pay for it

    impl = ref._impl or ref.implementation
    start = _perf()
    try:
        aexec = getattr(impl, "aexecute", None)
        if aexec is not None:
            result = await aexec(ref.handle, inputs, **options)
        else:
            result = await asyncio.to_thread(impl.execute, ref.handle, inputs, **options)
    except Exception as exc:
        _router.emit_execute(ref.module_type, backend, _perf() - start, type(exc).__name__)
        if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return await asyncio.to_thread(_execute_fallback, ref, inputs, options, exc)
        raise
    _router.emit_execute(ref.module_type, backend, _perf() - start, "ok")
    return result


def compile(optimizer: ModuleRef, program: ModuleRef, *, trainset: Any, valset: Any = None,
            **options: Any) -> ModuleRef:
    """Optimize ``program`` with ``optimizer`` and return a reference to the compiled program.

    ``trainset`` (and ``valset``) are lists of :class:`~dspex_core.Example` with
    ``with_inputs(...)`` set. The optimizer's backend decides how to run the program; the
    compiled program's demos and instructions are visible through ``ref.describe()``.
    """
    _check_ref(optimizer)
    _check_ref(program)
    if trainset is None or len(trainset) == 0:
        raise InputError("compile() needs a non-empty trainset (a list of dspex.Example(...).with_inputs(...))")
    impl = optimizer.implementation
    compile_impl = getattr(impl, "compile", None)
    if compile_impl is None:
        if getattr(program.implementation, "compile", None) is not None:
            raise InputError(f"compile(optimizer, program, ...) got the program first: {optimizer.module_type!r} "
                             f"is not an optimizer but {program.module_type!r} is: swap them")
        raise CapabilityError(f"{optimizer.module_type!r} on backend {optimizer.backend!r} is not an optimizer "
                              f"(it has no compile())")
    _router.emit_route("compile", optimizer.module_type, optimizer.backend)
    start = _perf()
    try:
        compiled = compile_impl(optimizer.handle, program, trainset=list(trainset),
                                valset=list(valset) if valset is not None else None, **options)
    except Exception as exc:
        _router.emit_execute(optimizer.module_type, optimizer.backend, _perf() - start, type(exc).__name__)
        raise
    _router.emit_execute(optimizer.module_type, optimizer.backend, _perf() - start, "ok")
    if not isinstance(compiled, ModuleRef):
        raise TypeError(f"backend {optimizer.backend!r} compile() must return a ModuleRef, got {type(compiled)}")
    return compiled


def load(source: Any, *, module_type: str | None = None, signature: Any = None, implementation: str | None = None,
         **options: Any) -> ModuleRef:
    """Load a program saved by DSPy (``module.save("x.json")``) or by dspex, on the best backend.

    ``source`` is a path to the ``.json`` file or its already-read dict. The module type and
    signature come from the file (see :mod:`dspex_core.programs`); pass ``module_type`` or
    ``signature`` (e.g. ``"question -> answer: int"``, since DSPy does not save types) to
    decide them yourself. Routing is ``create``'s; the chosen implementation's
    ``load_state(signature, state, **options)`` rebuilds the module with the saved demos and
    instructions. A backend without ``load_state`` is a :class:`CapabilityError`, and with
    ``allow_fallback`` the next candidate loads it instead. Calls fall back as a created
    module's do: the next candidate loads the same saved state (once) and serves the call.
    """
    from dspex_core.programs import read_program

    program = read_program(source, module_type=module_type, signature=signature)
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
        ref = ModuleRef(reg.backend, kind, state, current_session_id(), program.signature, options,
                        reg.implementation, decision[index + 1:] if fallback else ())
        ref._remake = lambda other: _load_on(other, program, options)
        return ref
    raise AssertionError("unreachable: the router never returns an empty decision")


def _load_on(reg: Any, program: Any, options: Mapping[str, Any]) -> Any:
    """``program``'s saved state loaded by ``reg``'s implementation (each gets its own copy)."""
    import copy

    load_state = getattr(reg.implementation, "load_state", None)
    if load_state is None:
        raise CapabilityError(f"backend {reg.backend!r} cannot load saved {program.module_type!r} programs (its "
                              f"{program.module_type} implementation has no load_state)")
    return load_state(program.signature, copy.deepcopy(program.state), **options)
