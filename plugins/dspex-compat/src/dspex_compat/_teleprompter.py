"""DSPy's ``Teleprompter``: the base of the optimizers (``compile(student, trainset=...)``).

Each subclass's own ``compile`` fires the ``on_compile_start``/``on_compile_end`` callbacks, as in
DSPy 3.4: wrapped once per class that defines it, and an optimizer whose ``compile`` calls its
base class's (``super().compile(...)``) reports one compile, not two.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import Any, Callable

from dspex_compat._callback import with_callbacks

__all__ = ["Teleprompter"]

#: (optimizer id, thread, task) of the compiles under way here: a nested call of the same one is not reported
_ACTIVE_COMPILES: contextvars.ContextVar[tuple] = contextvars.ContextVar("active_compiles", default=())


def _invocation(instance: Any) -> tuple:
    import sys

    asyncio = sys.modules.get("asyncio")
    try:
        task = asyncio.current_task() if asyncio is not None else None
    except RuntimeError:
        task = None
    return id(instance), threading.get_ident(), id(task) if task is not None else None


def _enter(instance: Any) -> contextvars.Token | None:
    """Mark this optimizer's compile as under way here; ``None`` when it already is (a nested call of
    the same one, not reported again). Module-level, as is :func:`_leave`, so the wrappers reach the
    context variable by name and pickle (cloudpickle copies a wrapped method by value)."""
    active, key = _ACTIVE_COMPILES.get(), _invocation(instance)
    if key in active:
        return None
    return _ACTIVE_COMPILES.set((*active, key))


def _leave(token: contextvars.Token) -> None:
    _ACTIVE_COMPILES.reset(token)


def _with_compile_callbacks(fn: Callable) -> Callable:
    reported = with_callbacks(fn)
    if fn.__code__.co_flags & 0x80:  # async def
        @functools.wraps(fn)
        async def async_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
            token = _enter(instance)
            if token is None:
                return await fn(instance, *args, **kwargs)
            try:
                return await reported(instance, *args, **kwargs)
            finally:
                _leave(token)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
        token = _enter(instance)
        if token is None:
            return fn(instance, *args, **kwargs)
        try:
            return reported(instance, *args, **kwargs)
        finally:
            _leave(token)

    return wrapper


class Teleprompter:
    #: which callback handlers a wrapped method fires (dspy.utils.callback's rule)
    _callback_kind = "compile"

    def __init__(self) -> None:
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "compile" in cls.__dict__:
            cls.compile = _with_compile_callbacks(cls.compile)

    def compile(self, student: Any, *, trainset: list[Any], teacher: Any = None, valset: list[Any] | None = None,
                **kwargs: Any) -> Any:
        """Optimize the student program (each optimizer defines it)."""
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """The optimizer's parameters (its attributes)."""
        return self.__dict__
