"""DSPy-style callbacks: the one seam through which every backend tells listeners what runs.

``dspex.configure(callbacks=[cb])`` or ``with dspex.context(callbacks=[cb]):`` installs objects
with DSPy's ``BaseCallback`` method names and arguments (``on_module_start(call_id, instance,
inputs)``, ``on_module_end(call_id, outputs, exception)``, and the same pair for ``lm``,
``adapter_format``, ``adapter_parse``, ``tool`` and ``evaluate``). They are duck-typed: a
subclass of ``dspy.utils.callback.BaseCallback`` works unchanged, and an object that lacks a
method is simply not told about that kind of event. The core never imports dspy.

A backend fires an event pair with :func:`start` and :func:`end` (both take the callbacks
:func:`active` returned, so a call that began with callbacks ends with the same ones). A
callback that raises is logged as a warning (logger ``dspex_core.callbacks``) and never breaks
the call, as in DSPy. While a call runs, :data:`ACTIVE_CALL_ID` holds its ``call_id`` (DSPy's
``callback_context.ACTIVE_CALL_ID`` is the same idea), so listeners can nest spans.

Plugins install process-wide callbacks with the ``dspex_register_callbacks`` hook (see
:mod:`dspex_core.hookspecs`); the registry hands them to :func:`install_plugin_callbacks`, and
:func:`active` puts them before the configured ones.

With no callbacks configured anywhere and none installed by a plugin, the cost on a call's path
is one check of a module global (:func:`active` returns the shared empty tuple before reading any
setting).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Mapping

from dspex_core import config

#: The kinds of events, as DSPy names their handlers (``on_<kind>_start`` / ``on_<kind>_end``);
#: ``pipeline`` (around ``dspex.run_pipeline``) is dspex's own, which DSPy's callbacks lack.
KINDS = ("module", "lm", "adapter_format", "adapter_parse", "tool", "evaluate", "pipeline")

#: The ``call_id`` of the innermost call being run with callbacks (``None`` outside any).
ACTIVE_CALL_ID: ContextVar[str | None] = ContextVar("dspex_active_call_id", default=None)
#: The ``instance`` of the innermost module call fired (lets a backend tell whether a module's
#: own event was already fired by the router, or still has to be by the module itself).
ACTIVE_MODULE: ContextVar[Any] = ContextVar("dspex_active_module", default=None)

_NONE: tuple = ()
#: The callbacks plugins installed (``dspex_register_callbacks``), for every call in the process.
_from_plugins: tuple = ()


def install_plugin_callbacks(found: tuple) -> None:
    """Make ``found`` the plugins' callbacks (the registry calls this when it is built, and with
    ``()`` when it is replaced). Once any is installed, calls take the observed path."""
    global _from_plugins
    _from_plugins = tuple(found)
    if _from_plugins:
        config._callbacks_seen = True


def active(extra: Any = None) -> tuple:
    """The callbacks in force here (the plugins', the settings' ones, then ``extra``), or ``()``.

    One check of a module global when no callbacks were ever configured or installed."""
    if not config._callbacks_seen and not extra:
        return _NONE
    found = config.settings().callbacks
    if _from_plugins:
        found = (*_from_plugins, *found) if found else _from_plugins
    if extra:
        found = (*found, *extra)
    return found


#: ``kind`` -> its handlers' names, made once rather than per event.
_NAMES = {kind: (f"on_{kind}_start", f"on_{kind}_end") for kind in KINDS}
#: What :func:`start` returns when no callback handles the kind: :func:`end` then does nothing.
_UNHEARD: tuple[str | None, Any] = (None, None)


_random_bits: Any = None


def _new_call_id() -> str:
    """32 random hex digits, as DSPy's ``uuid.uuid4().hex`` (a tenth of its cost: no UUID object, and
    no system call, which would also let other threads take the interpreter lock mid-call)."""
    bits = _random_bits or _load_random_bits()
    return bits(128).to_bytes(16, "big").hex()


def _load_random_bits() -> Any:
    global _random_bits
    from random import getrandbits  # imported on the first event: it is not cheap to import

    _random_bits = getrandbits
    return getrandbits


def hears(callbacks: tuple, kind: str) -> bool:
    """Whether any of ``callbacks`` handles ``kind`` (has ``on_<kind>_start`` or ``on_<kind>_end``):
    a backend that sees no one does can skip building that kind's events and their ``inputs``.
    The answer for the last tuple asked about is kept per kind (the plugins' tuple, usually)."""
    last = _heard.get(kind)
    if last is not None and last[0] is callbacks:
        return last[1]
    start_name, end_name = _NAMES.get(kind) or (f"on_{kind}_start", f"on_{kind}_end")
    found = False
    for callback in callbacks:
        if getattr(callback, start_name, None) is not None or getattr(callback, end_name, None) is not None:
            found = True
            break
    _heard[kind] = (callbacks, found)  # one item assignment: other threads see the old pair or the new one
    return found


#: kind -> ``(callbacks, whether they handle it)`` of the last :func:`hears` question
_heard: dict[str, tuple[tuple, bool]] = {}


def start(kind: str, callbacks: tuple, instance: Any, inputs: Mapping[str, Any]) -> tuple[str | None, Any]:
    """Fire ``on_<kind>_start`` on every callback; returns what :func:`end` takes (the call id
    and the token that restores the enclosing call id).

    When no callback has a handler of this kind (``on_<kind>_start`` or ``on_<kind>_end``), no id
    is made and :data:`ACTIVE_CALL_ID` is left as it is (no one could tell the id apart)."""
    names = _NAMES.get(kind) or (f"on_{kind}_start", f"on_{kind}_end")
    name = names[0]
    call_id = None
    for callback in callbacks:
        handler = getattr(callback, name, None)
        if handler is None:
            if call_id is None and getattr(callback, names[1], None) is not None:
                call_id = _new_call_id()
            continue
        if call_id is None:
            call_id = _new_call_id()
        try:
            handler(call_id=call_id, instance=instance, inputs=inputs)
        except Exception as exc:  # a listener's bug never breaks the call
            _logger().warning("Error when calling callback %r's %s: %s", callback, name, exc)
    if call_id is None:
        return _UNHEARD
    return call_id, ACTIVE_CALL_ID.set(call_id)


def end(kind: str, callbacks: tuple, started: tuple[str | None, Any], outputs: Any,
        exception: BaseException | None = None) -> None:
    """Fire ``on_<kind>_end`` on every callback (``outputs`` is ``None`` when ``exception`` is set)."""
    call_id, token = started
    if token is None:  # no callback handles this kind
        return
    ACTIVE_CALL_ID.reset(token)
    name = (_NAMES.get(kind) or (None, f"on_{kind}_end"))[1]
    for callback in callbacks:
        handler = getattr(callback, name, None)
        if handler is None:
            continue
        try:
            handler(call_id=call_id, outputs=outputs, exception=exception)
        except Exception as exc:
            _logger().warning("Error when applying callback %r's %s: %s", callback, name, exc)


def _logger() -> Any:
    import logging  # imports traceback: kept off ``import dspex_core``

    return logging.getLogger("dspex_core.callbacks")


def module_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What DSPy passes as ``inputs`` to ``on_module_start``: ``Module.__call__``'s arguments."""
    return {"args": (), "kwargs": dict(inputs)}


def lm_inputs(messages: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What DSPy passes as ``inputs`` to ``on_lm_start``: ``BaseLM.__call__``'s arguments."""
    return {"prompt": None, "messages": messages, "kwargs": dict(settings)}


class ModuleEvents:
    """``with ModuleEvents(callbacks, instance, inputs) as events: ...; events.outputs = pred``:
    one module call's start and end events, the instance marked as the active module meanwhile.
    ``kind="evaluate"`` with ``event_inputs`` given fires DSPy's evaluate events instead (an
    ``evaluate`` module is DSPy's ``Evaluate``, not a ``Module``)."""

    __slots__ = ("callbacks", "instance", "inputs", "outputs", "kind", "_started", "_token")

    def __init__(self, callbacks: tuple, instance: Any, inputs: Mapping[str, Any], kind: str = "module",
                 event_inputs: Mapping[str, Any] | None = None):
        self.callbacks = callbacks
        self.instance = instance
        self.inputs = event_inputs if event_inputs is not None else module_inputs(inputs)
        self.kind = kind
        self.outputs: Any = None

    def __enter__(self) -> "ModuleEvents":
        self._started = start(self.kind, self.callbacks, self.instance, self.inputs)
        self._token = ACTIVE_MODULE.set(self.instance)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        ACTIVE_MODULE.reset(self._token)
        end(self.kind, self.callbacks, self._started, None if exc is not None else self.outputs, exc)


#: ``dspy.Evaluate.__call__``'s parameters after ``program``, as ``on_evaluate_start`` receives them.
_EVALUATE_ARGS = ("metric", "devset", "num_threads", "display_progress", "display_table", "callback_metadata",
                  "save_as_csv", "save_as_json")


def for_call(callbacks: tuple, instance: Any, module_type: str, inputs: Mapping[str, Any],
             options: Mapping[str, Any]) -> ModuleEvents:
    """The events of a call of a created module: an ``evaluate`` call fires DSPy's evaluate pair
    (``inputs`` as ``Evaluate.__call__``'s arguments: the program, then the call's overrides or
    ``None``), any other module type the module pair."""
    if module_type == "evaluate":
        event_inputs = {"program": inputs.get("program"), **{name: options.get(name) for name in _EVALUATE_ARGS}}
        return ModuleEvents(callbacks, instance, inputs, "evaluate", event_inputs)
    return ModuleEvents(callbacks, instance, inputs)


class Events:
    """``with Events(kind, callbacks, instance, inputs) as events: ...; events.outputs = x``: one
    event pair of any kind around a block (the exception, if the block raises, goes to the end
    handler and on up)."""

    __slots__ = ("kind", "callbacks", "instance", "inputs", "outputs", "_started")

    def __init__(self, kind: str, callbacks: tuple, instance: Any, inputs: Mapping[str, Any]):
        self.kind = kind
        self.callbacks = callbacks
        self.instance = instance
        self.inputs = inputs
        self.outputs: Any = None

    def __enter__(self) -> "Events":
        self._started = start(self.kind, self.callbacks, self.instance, self.inputs)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        end(self.kind, self.callbacks, self._started, None if exc is not None else self.outputs, exc)
