"""DSPy's callbacks: ``BaseCallback``, ``with_callbacks`` and ``ACTIVE_CALL_ID``.

The layer's modules fire the module events themselves (``Module.__call__``/``acall`` are wrapped
by :func:`with_callbacks`, as DSPy's are), with the layer's ``instance`` (the user's
``dspy.Predict``, ``dspy.ChainOfThought``...). The adapter and LM events come from dspex, which
fires DSPy's callback methods inside each predictor call; the callbacks are handed to dspex
through :func:`for_dspex`, which hides their module handlers, so a ``Predict`` call is reported
once (by the layer) and not again by dspex for the reference it calls. A code interpreter's
``start``/``execute``/``invoke_tool``/``shutdown``, wrapped the same way, fire the
``on_interpreter_*`` handlers.

:data:`ACTIVE_CALL_ID` is dspex's own context variable, so the events dspex fires inside a
module call name that call as their parent, as DSPy's do.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import dspex_core.callbacks as _context  # read through the module: wrapped methods pickle (cloudpickle)
from dspex_core.callbacks import ACTIVE_CALL_ID

from dspex_compat._settings import setting

__all__ = ["ACTIVE_CALL_ID", "BaseCallback", "with_callbacks", "bind_active_call_id", "for_dspex"]



def _logger() -> Any:
    import logging  # on first use: import dspy loads no logging

    return logging.getLogger("dspy.utils.callback")


class BaseCallback:
    """The base of DSPy callback handlers: override the ``on_<kind>_start``/``on_<kind>_end`` you need.

    Set them for every call with ``dspy.configure(callbacks=[...])``, or on one module with
    ``Module(callbacks=[...])``."""

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_module_end(self, call_id: str, outputs: Any | None, exception: BaseException | None = None) -> None:
        pass

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_lm_end(self, call_id: str, outputs: Any | None, exception: BaseException | None = None) -> None:
        pass

    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_adapter_format_end(self, call_id: str, outputs: Any | None,
                              exception: BaseException | None = None) -> None:
        pass

    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_adapter_parse_end(self, call_id: str, outputs: Any | None,
                             exception: BaseException | None = None) -> None:
        pass

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_tool_end(self, call_id: str, outputs: Any | None, exception: BaseException | None = None) -> None:
        pass

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_evaluate_end(self, call_id: str, outputs: Any | None, exception: BaseException | None = None) -> None:
        pass

    def on_interpreter_execute_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_interpreter_execute_end(self, call_id: str, outputs: Any | None,
                                   exception: BaseException | None = None) -> None:
        pass

    def on_interpreter_tool_call_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_interpreter_tool_call_end(self, call_id: str, outputs: Any | None,
                                     exception: BaseException | None = None) -> None:
        pass

    def on_interpreter_startup_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_interpreter_startup_end(self, call_id: str, outputs: Any | None,
                                   exception: BaseException | None = None) -> None:
        pass

    def on_interpreter_shutdown_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_interpreter_shutdown_end(self, call_id: str, outputs: Any | None,
                                    exception: BaseException | None = None) -> None:
        pass

    def on_compile_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        pass

    def on_compile_end(self, call_id: str, outputs: Any | None, exception: BaseException | None = None) -> None:
        pass


#: A code interpreter's wrapped method -> the ``on_interpreter_<operation>_*`` handlers it fires (DSPy's names).
_INTERPRETER_OPERATIONS = {"execute": "execute", "invoke_tool": "tool_call", "start": "startup",
                           "shutdown": "shutdown"}
#: What makes an instance a ``CodeInterpreter`` (the protocol's members, checked as ``isinstance`` does).
_INTERPRETER_MEMBERS = ("tools", "start", "execute", "shutdown")


def _kind(instance: Any, fn: Callable) -> str:
    """Which handlers an instance's wrapped method fires (DSPy's rule: LM, evaluate, code interpreter,
    adapter, tool, else module); ``BaseLM``, ``Evaluate`` and ``Tool`` say theirs with a
    ``_callback_kind`` class attribute. A method a kind has no handler for raises (the caller logs it)."""
    from dspex_compat._adapters import Adapter

    kind = getattr(type(instance), "_callback_kind", None)
    if kind is not None:
        return kind
    if all(hasattr(instance, member) for member in _INTERPRETER_MEMBERS):
        if fn.__name__ not in _INTERPRETER_OPERATIONS:
            raise ValueError(f"Unsupported code interpreter method for using callback: {fn.__name__}.")
        return f"interpreter_{_INTERPRETER_OPERATIONS[fn.__name__]}"
    if isinstance(instance, Adapter):
        if fn.__name__ not in ("format", "parse"):
            raise ValueError(f"Unsupported adapter method for using callback: {fn.__name__}.")
        return f"adapter_{fn.__name__}"
    return "module"


def _active(instance: Any) -> Any:
    """The configured callbacks, then the instance's own (empty, without building a list, on the
    usual path where neither has any: every module call asks)."""
    configured = setting("callbacks")
    own = getattr(instance, "callbacks", None)
    if not configured:
        return own or ()
    return [*configured, *(own or ())]


def _new_call_id() -> str:
    """32 random hex digits, as DSPy's ``uuid.uuid4().hex`` (without importing uuid at ``import dspy``)."""
    return os.urandom(16).hex()


def _is_async(fn: Callable) -> bool:
    """``inspect.iscoroutinefunction`` without importing inspect at ``import dspy`` (0x80: CO_COROUTINE)."""
    code = getattr(fn, "__code__", None)
    return code is not None and bool(code.co_flags & 0x80)


def _start(instance: Any, fn: Callable, call_id: str, callbacks: list[Any], args: tuple, kwargs: dict) -> None:
    import inspect

    inputs = inspect.getcallargs(fn, instance, *args, **kwargs)
    if "self" in inputs:
        inputs.pop("self")
    elif "instance" in inputs:
        inputs.pop("instance")
    for callback in callbacks:
        try:
            handler = getattr(callback, f"on_{_kind(instance, fn)}_start")
            handler(call_id=call_id, instance=instance, inputs=inputs)
        except Exception as exc:  # a listener's bug never breaks the call
            _logger().warning(f"Error when calling callback {callback}: {exc}")


def _end(instance: Any, fn: Callable, call_id: str, outputs: Any, exception: BaseException | None,
         callbacks: list[Any]) -> None:
    for callback in callbacks:
        try:
            handler = getattr(callback, f"on_{_kind(instance, fn)}_end")
            handler(call_id=call_id, outputs=outputs, exception=exception)
        except Exception as exc:
            _logger().warning(
                f"Error when applying callback {callback}'s end handler on function {fn.__name__}: {exc}.")


def with_callbacks(fn: Callable) -> Callable:
    """Fire the instance's start and end handlers around a method (sync or async), as DSPy's decorator does."""
    if _is_async(fn):
        @functools.wraps(fn)
        async def async_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
            callbacks = _active(instance)
            if not callbacks:
                return await fn(instance, *args, **kwargs)
            call_id = _new_call_id()
            _start(instance, fn, call_id, callbacks, args, kwargs)
            token = _context.ACTIVE_CALL_ID.set(call_id)
            results = exception = None
            try:
                results = await fn(instance, *args, **kwargs)
                return results
            except BaseException as exc:
                exception = exc
                raise
            finally:
                _context.ACTIVE_CALL_ID.reset(token)
                _end(instance, fn, call_id, results, exception, callbacks)

        return async_wrapper

    @functools.wraps(fn)
    def sync_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
        callbacks = _active(instance)
        if not callbacks:
            return fn(instance, *args, **kwargs)
        call_id = _new_call_id()
        _start(instance, fn, call_id, callbacks, args, kwargs)
        token = _context.ACTIVE_CALL_ID.set(call_id)
        results = exception = None
        try:
            results = fn(instance, *args, **kwargs)
            return results
        except BaseException as exc:
            exception = exc
            raise
        finally:
            _context.ACTIVE_CALL_ID.reset(token)
            _end(instance, fn, call_id, results, exception, callbacks)

    return sync_wrapper


def bind_active_call_id(fn: Callable) -> Callable:
    """``fn`` run with the call id active now as its parent (work handed to another thread)."""
    parent_call_id = _context.ACTIVE_CALL_ID.get()

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _context.ACTIVE_CALL_ID.set(parent_call_id)
        try:
            return fn(*args, **kwargs)
        finally:
            _context.ACTIVE_CALL_ID.reset(token)

    return wrapper
