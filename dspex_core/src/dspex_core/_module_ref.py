"""``ModuleRef``, a created module, and running it: ``execute``, ``aexecute`` and falling back.

A reference carries ``backend``, ``module_type``, the ``state`` its implementation's ``create``
returned (also readable as ``handle``: a native state object, or the dspy backend's
stored-module id) and ``session_id``. It also keeps what it was created from (spec, options)
so that a fallback can make the module again on another backend, and the implementation that
made it, so that running it takes no routing decision: executing a reference is a telemetry
check and a call of the implementation's ``execute``.

What ``execute``/``aexecute`` returns is checked here, once for every backend: anything but a
:class:`~dspex_core.Prediction` (or ``None`` for the module types whose table row says DSPy's
returns it: ``best_of_n``, ``refine``, ``retry``) is a :class:`~dspex_core.errors.PluginError`
naming the backend and the module type (a broken backend's own failure, so with
``allow_fallback`` the next candidate serves the call), never a raw value handed to the caller.
The check costs one ``isinstance`` on the way out.
"""

from __future__ import annotations

import time
from typing import Any, AsyncIterator, Callable, Iterator, Mapping

from dspex_core import _lm_deadline, _router, callbacks as _callbacks, config as _config, telemetry
from dspex_core._example import Prediction
from dspex_core.config import settings
from dspex_core import _usage_journal
from dspex_core._usage_journal import Journal as _Journal, current as _journal
from dspex_core.errors import CapabilityError, InputError, PluginError, allows_fallback

#: Keyword arguments of ``ref(...)`` that are call options, not inputs (as in DSPy); the backend gets them.
CALL_OPTIONS = frozenset({"lm", "config", "demos"})
#: ``ref(..., timeout=...)``: seconds or a profile's name bounding every LM call the module call makes,
#: retries and waits included (:func:`dspex_core._lm_deadline.call_deadline`); the core's, not the backend's.
TIMEOUT = "timeout"
_OPTIONS = CALL_OPTIONS | {TIMEOUT}
#: The timeout profile bounding a streamed call given no ``timeout=`` (``ref.stream``).
STREAMING_PROFILE = "streaming"

_perf = time.perf_counter
_telemetry_handlers = telemetry._handlers  # the live dict: empty means no event can reach anyone


class ModuleRef:
    """A created module. Call it like a DSPy module: ``ref(question="...")``."""

    __slots__ = ("backend", "module_type", "state", "session_id", "spec", "options", "_impl", "_methods",
                 "_fallbacks", "_fallback_states", "_remake", "__weakref__")

    def __init__(self, backend: str, module_type: str, handle: Any, session_id: str, spec: Any = None,
                 options: Mapping[str, Any] | None = None, implementation: Any = None,
                 fallbacks: tuple[Any, ...] = (), methods: frozenset[str] | None = None):
        self.backend = backend
        self.module_type = module_type
        self.state = handle
        self.session_id = session_id
        self.spec = spec
        self.options = dict(options or {})
        self._impl = implementation
        #: the optional contract methods the implementation has (``None``: not looked at yet)
        self._methods = methods
        #: the registrations to try next when a call fails and fallback is allowed
        self._fallbacks = fallbacks
        self._fallback_states: dict[str, Any] | None = None
        #: how a fallback backend makes this module (``None``: ``create(spec, **options)``;
        #: a loaded program sets it to load the same saved state there)
        self._remake: Any = None

    @property
    def handle(self) -> Any:
        """The module's state, as ``create`` returned it (the name module references have always used)."""
        return self.state

    @property
    def implementation(self) -> Any:
        """The object serving this module (looked up in the registry if it was not given)."""
        if self._impl is None:
            from dspex_core import registry
            from dspex_core.errors import BackendNotInstalledError

            reg = registry.lookup(self.backend, self.module_type)
            if reg is None:
                raise BackendNotInstalledError(
                    f"backend {self.backend!r} no longer serves {self.module_type!r}; installed: "
                    f"{', '.join(registry.installed_backends()) or 'none'}"
                )
            self._impl, self._methods = reg.implementation, reg.methods
        return self._impl

    def has(self, method: str) -> bool:
        """Whether the implementation has the optional contract method ``method`` (``describe``, ...)."""
        if self._methods is None:
            from dspex_core._implementation import implemented_methods

            self._methods = implemented_methods(self.implementation)
        return method in self._methods

    def __call__(self, **kwargs: Any) -> Any:
        if _OPTIONS.isdisjoint(kwargs):
            return execute(self, kwargs)
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        if TIMEOUT in kwargs:
            with _lm_deadline.call_deadline(kwargs.pop(TIMEOUT)):
                return execute(self, kwargs, **options)
        return execute(self, kwargs, **options)

    async def acall(self, **kwargs: Any) -> Any:
        """The async twin of calling the reference."""
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        if TIMEOUT in kwargs:
            with _lm_deadline.call_deadline(kwargs.pop(TIMEOUT)):
                return await aexecute(self, kwargs, **options)
        return await aexecute(self, kwargs, **options)

    def stream(self, **kwargs: Any) -> Iterator[Any]:
        """Run the module, yielding a :class:`~dspex_core.StreamChunk` for each piece of an output
        field's text as it arrives, then the final :class:`~dspex_core.Prediction` (see
        :mod:`dspex_core._streaming`). ``timeout=`` bounds the whole stream (default: the
        ``streaming`` timeout profile); ``lm``, ``config``, ``demos`` are taken as a call takes them."""
        from dspex_core._streaming import stream

        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        timeout = kwargs.pop(TIMEOUT, STREAMING_PROFILE)
        return stream(self, check_inputs(kwargs), options, timeout, _Running)

    def astream(self, **kwargs: Any) -> AsyncIterator[Any]:
        """The async twin of :meth:`stream`: ``async for item in ref.astream(question=...)``."""
        from dspex_core._streaming import astream

        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        timeout = kwargs.pop(TIMEOUT, STREAMING_PROFILE)
        return astream(self, check_inputs(kwargs), options, timeout, _Running)

    def render(self, **kwargs: Any) -> dict[str, Any]:
        """The request the next call with these inputs would send, without calling the LM:
        ``{"messages": [...], "settings": {...}, "model": ...}`` (see :mod:`dspex_core._render`).
        Call options (``lm``, ``config``, ``demos``) are taken as a call takes them."""
        from dspex_core._render import render

        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CALL_OPTIONS}
        kwargs.pop(TIMEOUT, None)  # a call option of the core's, which sends nothing
        return render(self, check_inputs(kwargs), options)

    def parse(self, completion: Any, **options: Any) -> dict[str, Any]:
        """The output values the module's adapter reads from one LM completion (its text), without
        calling the LM: ``{field: value}`` (see :mod:`dspex_core._parse`)."""
        from dspex_core._parse import parse

        return parse(self, completion, options)

    def describe(self) -> dict[str, Any]:
        """What the backend can say about this module (signature, demos, instructions, ...)."""
        base = {"backend": self.backend, "module_type": self.module_type, "session_id": self.session_id}
        if not self.has("describe"):
            return base
        return {**base, **self.implementation.describe(self.state)}

    def save(self, path: Any) -> None:
        """Save the module's learned state (demos, instructions) where the backend supports it."""
        if not self.has("save"):
            raise CapabilityError(f"backend {self.backend!r} cannot save {self.module_type!r} modules yet")
        self.implementation.save(self.state, path)

    def unwrap(self) -> Any:
        """The live object behind this module in the library its backend runs (a ``dspy.Module`` for
        a dspy-backed reference), to use what dspex does not wrap; changes to it change this module.
        A backend that runs modules itself (native) has none: a :class:`CapabilityError` says so."""
        if not self.has("unwrap"):
            raise CapabilityError(f"a {self.module_type!r} module on backend {self.backend!r} has no object of another "
                                  f"library behind it to unwrap; unwrap() returns the live dspy object of modules "
                                  f"made with implementation='dspy' (or by dspex.wrap)")
        return self.implementation.unwrap(self.state)

    def __repr__(self) -> str:
        return (f"ModuleRef(backend={self.backend!r}, module_type={self.module_type!r}, "
                f"session_id={self.session_id!r})")


# -- running a reference --------------------------------------------------------------------------

def _check_ref(ref: Any) -> ModuleRef:
    if not isinstance(ref, ModuleRef):
        raise InputError(f"expected a ModuleRef from create(...), got {type(ref).__name__}")
    return ref


def check_inputs(inputs: Any) -> Mapping[str, Any]:
    """``None`` -> ``{}``; an :class:`Example` (or a ``dspy.Example``) -> its inputs as a dict; anything
    else must be a mapping."""
    if inputs is None:
        return {}
    if isinstance(inputs, Mapping):
        return inputs
    from dspex_core._example import example_of

    example = example_of(inputs)
    if example is not None:
        return (example.inputs() if example.input_keys is not None else example).toDict()
    raise InputError(f"inputs must be a mapping of field names to values (or an Example), "
                     f"got {type(inputs).__name__}")


def checked_result(backend: str, module_type: str, result: Any, method: str = "execute") -> Any:
    """``result`` if it is not a Prediction but allowed (``None`` where the module-type table says
    so), else raises :func:`not_a_prediction`'s error. Called only off the fast path."""
    if result is None:
        from dspex_core._module_types import module_type as table_row

        row = table_row(module_type)
        if row is not None and row.may_return_none:
            return None
    raise not_a_prediction(backend, module_type, result, method)


def not_a_prediction(backend: str, module_type: str, result: Any, method: str = "execute") -> PluginError:
    """The error for an implementation whose ``execute``/``aexecute`` returned ``result``, not a Prediction."""
    kind = type(result)
    return PluginError(f"backend {backend!r} returned {kind.__module__}.{kind.__qualname__} from {method}() of "
                       f"{module_type!r}, not a dspex Prediction (a bug in the backend's plugin)")


_set_usage = Prediction._lm_usage.__set__  # the slot's own setter: a fraction of object.__setattr__'s cost


_NO_USAGE: list = []  # shared and never written: a call that made no paid LM call (get_lm_usage() -> {})


def _with_usage(result: Any, before: int, journal: _Journal | None = None) -> Any:
    """``result`` carrying the usage written since entry ``before`` in this thread's journal (or all
    of an async call's ``journal``): ``pred.get_lm_usage()``, summed when read. A backend's own
    figure is kept when nothing was written."""
    if isinstance(result, Prediction):
        found = _usage_journal.entries_of(journal) if journal is not None else (
            _usage_journal.since(before) if _usage_journal.writes != before else None)
        if found:
            _set_usage(result, found)
        elif result._lm_usage is None:
            _set_usage(result, _NO_USAGE)
    return result


def _fires_own(ref: ModuleRef) -> bool:
    """Whether the backend fires module callbacks itself (the dspy backend: dspy does)."""
    return getattr(ref._impl or ref.implementation, "fires_callbacks", False) is True


def execute(ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """Run a created module on ``inputs`` and return its :class:`Prediction`, carrying the LM usage
    of its calls (a usage record is open while it runs: :mod:`dspex_core.usage`), its callbacks
    fired when any are configured (:mod:`dspex_core.callbacks`)."""
    if type(ref) is not ModuleRef:
        _check_ref(ref)
    if type(inputs) is not dict:
        inputs = check_inputs(inputs)
    before = _usage_journal.writes
    if _config._callbacks_seen:
        return _execute_observed(ref, inputs, options, before)
    if _telemetry_handlers and settings().telemetry_enabled:
        return _with_usage(_execute(ref, inputs, options), before)
    try:  # no events to build, no clock to read
        result = (ref._impl or ref.implementation).execute(ref.state, inputs, **options)
    except Exception as exc:
        if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return _with_usage(_execute_fallback(ref, inputs, options, exc), before)
        raise
    if not isinstance(result, Prediction):
        return checked_result(ref.backend, ref.module_type, result)
    if _usage_journal.writes != before:
        _set_usage(result, _usage_journal.since(before))
    elif result._lm_usage is None:
        _set_usage(result, _NO_USAGE)
    return result


def _execute_observed(ref: ModuleRef, inputs: Mapping[str, Any], options: dict[str, Any], before: int) -> Any:
    """:func:`_execute` with the module's callbacks fired around it (unless its backend fires them)."""
    found = _callbacks.active()
    if not found or _fires_own(ref):
        return _with_usage(_execute(ref, inputs, options), before)
    with _callbacks.for_call(found, ref, ref.module_type, inputs, options) as events:
        events.outputs = _with_usage(_execute(ref, inputs, options), before)
    return events.outputs


def _execute(ref: ModuleRef, inputs: Mapping[str, Any], options: dict[str, Any]) -> Any:
    """The module's ``execute`` with telemetry (when anyone listens) and fallback."""
    if not _telemetry_handlers or not settings().telemetry_enabled:
        try:
            result = (ref._impl or ref.implementation).execute(ref.state, inputs, **options)
            if isinstance(result, Prediction):
                return result
            return checked_result(ref.backend, ref.module_type, result)
        except Exception as exc:
            if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
                return _execute_fallback(ref, inputs, options, exc)
            raise
    backend = ref.backend
    _router.emit_route("execute", ref.module_type, backend)
    impl = ref._impl or ref.implementation
    start = _perf()
    try:
        result = impl.execute(ref.state, inputs, **options)
        if not isinstance(result, Prediction):
            result = checked_result(backend, ref.module_type, result)
    except Exception as exc:
        _router.emit_execute(ref.module_type, backend, _perf() - start, type(exc).__name__)
        if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return _execute_fallback(ref, inputs, options, exc)
        raise
    _router.emit_execute(ref.module_type, backend, _perf() - start, "ok")
    return result


def _execute_fallback(ref: ModuleRef, inputs: Mapping[str, Any], options: dict[str, Any],
                      error: Exception) -> Any:
    def execute_there(reg: Any, state: Any) -> Any:
        result = reg.implementation.execute(state, inputs, **options)
        return result if isinstance(result, Prediction) else checked_result(reg.backend, ref.module_type, result)

    return run_fallbacks(ref, "execute", error, execute_there)


def run_fallbacks(ref: ModuleRef, operation: str, error: Exception, call: Callable[[Any, Any], Any]) -> Any:
    """``call(registration, state)`` on ``ref``'s fallback candidates in turn, each with the module
    made again there, until one succeeds; ``error`` (what the first backend raised) if none is left.
    Each attempt emits the fallback and execute events, and a success is recorded."""
    failed = ref.backend
    candidates = ref._fallbacks
    for index, reg in enumerate(candidates):
        _router.emit_fallback(operation, ref.module_type, failed, reg.backend, error)
        start = _perf()
        try:
            result = call(reg, _fallback_state(ref, reg))
        except Exception as exc:
            _router.emit_execute(ref.module_type, reg.backend, _perf() - start, type(exc).__name__)
            if index < len(candidates) - 1 and allows_fallback(exc):
                failed, error = reg.backend, exc
                continue
            raise
        _router.emit_execute(ref.module_type, reg.backend, _perf() - start, "ok")
        _router.record_fallback(operation, ref.backend, reg.backend, ref)
        return result
    raise error


def _fallback_state(ref: ModuleRef, reg: Any) -> Any:
    """The module made again on a fallback backend, once per reference."""
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
    inputs = check_inputs(inputs)
    # its own journal: async calls on one thread interleave, so a stretch of the thread's is not theirs
    import threading

    journal = _Journal(_journal.get(), threading.get_ident())
    token = _journal.set(journal)
    try:
        found = _callbacks.active()
        if found and not _fires_own(ref):
            with _callbacks.for_call(found, ref, ref.module_type, inputs, options) as events:
                events.outputs = _with_usage(await _aexecute(ref, inputs, options), 0, journal)
            return events.outputs
        return _with_usage(await _aexecute(ref, inputs, options), 0, journal)
    finally:
        _journal.reset(token)


async def _aexecute(ref: ModuleRef, inputs: Mapping[str, Any], options: dict[str, Any]) -> Any:
    backend = ref.backend
    _router.emit_route("execute", ref.module_type, backend)
    import asyncio  # only async callers pay for it

    impl = ref.implementation
    start = _perf()
    try:
        if ref.has("aexecute"):
            result = await impl.aexecute(ref.state, inputs, **options)
            if not isinstance(result, Prediction):
                result = checked_result(backend, ref.module_type, result, "aexecute")
        else:
            result = await asyncio.to_thread(impl.execute, ref.state, inputs, **options)
            if not isinstance(result, Prediction):
                result = checked_result(backend, ref.module_type, result)
    except Exception as exc:
        _router.emit_execute(ref.module_type, backend, _perf() - start, type(exc).__name__)
        if ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            return await asyncio.to_thread(_execute_fallback, ref, inputs, options, exc)
        raise
    _router.emit_execute(ref.module_type, backend, _perf() - start, "ok")
    return result


class _Running:
    """How a call runs, handed to :mod:`dspex_core._streaming` (which cannot import this module)."""

    execute = staticmethod(_execute)
    execute_fallback = staticmethod(_execute_fallback)
    aexecute = staticmethod(aexecute)
    fires_own = staticmethod(_fires_own)
    with_usage = staticmethod(_with_usage)
