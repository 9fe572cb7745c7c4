"""Calling a program and a metric on one devset example, whatever was given as each.

A program is a ``ModuleRef`` (run through ``dspex.execute``, so routing and telemetry apply)
or any callable taking the example's inputs as keyword arguments; async runs prefer what
awaits without a thread (``aexecute``, an ``acall``, a coroutine function). A metric is a
callable ``metric(example, prediction)`` or a ``metrics`` ModuleRef, whose ``score`` is used.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core.backend import ModuleRef
from dspex_core.errors import InputError


def _inputs(example: Any) -> dict[str, Any]:
    inputs = example.inputs()
    return dict(inputs.items()) if hasattr(inputs, "items") else dict(inputs)


def program_caller(program: Any) -> Callable[[Any], Any]:
    """``example -> prediction`` for a sync run."""
    if isinstance(program, ModuleRef):
        from dspex_core import execute

        return lambda example: execute(program, _inputs(example))
    if callable(program):
        return lambda example: program(**_inputs(example))
    raise InputError(f"evaluate's program must be a ModuleRef or a callable, got {type(program).__name__}")


def async_program_caller(program: Any) -> Callable[[Any], Any]:
    """``example -> awaitable prediction`` for an async run."""
    import asyncio
    import inspect

    if isinstance(program, ModuleRef):
        from dspex_core import aexecute

        return lambda example: aexecute(program, _inputs(example))
    acall = getattr(program, "acall", None)
    if callable(acall):
        return lambda example: acall(**_inputs(example))
    if inspect.iscoroutinefunction(program) or inspect.iscoroutinefunction(getattr(program, "__call__", None)):
        return lambda example: program(**_inputs(example))
    if callable(program):
        return lambda example: asyncio.to_thread(program, **_inputs(example))
    raise InputError(f"evaluate's program must be a ModuleRef or a callable, got {type(program).__name__}")


def metric_caller(metric: Any) -> Callable[[Any, Any], Any]:
    """``(example, prediction) -> score``."""
    if isinstance(metric, ModuleRef):
        from dspex_core import execute

        return lambda example, pred: execute(metric, {"example": example, "pred": pred}).score
    return metric
