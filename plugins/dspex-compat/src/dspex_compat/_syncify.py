"""DSPy's ``syncify``: an async program (its ``aforward``) callable from sync code."""

from __future__ import annotations

import asyncio
from types import MethodType
from typing import Any, Coroutine

from dspex_compat._module import Module

__all__ = ["syncify", "run_async"]


def run_async(coro: Coroutine) -> Any:
    """Run a coroutine to its end from sync code (in a running loop, on another thread's loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures
    import contextvars

    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coro).result()


class _SyncWrapper(Module):
    def __init__(self, program: Module):
        self.program = program

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return run_async(self.program.aforward(*args, **kwargs))


def syncify(program: Module, in_place: bool = True) -> Module:
    """Give ``program`` a ``forward`` that runs its ``aforward`` (``in_place``), or wrap it in a module that does."""
    if not in_place:
        return _SyncWrapper(program)

    def forward(self: Module, *args: Any, **kwargs: Any) -> Any:
        return run_async(self.aforward(*args, **kwargs))

    program.forward = MethodType(forward, program)
    return program
