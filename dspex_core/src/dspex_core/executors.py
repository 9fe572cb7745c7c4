"""Executors run many module calls at once: evaluations, optimizers' scoring, ``dspex.map``.

Executors are plugins. A plugin's ``dspex_register_executors(register)`` hook calls
``register(name, factory)``; the factory is called with ``executor_options`` (from
``dspex.configure(executor=..., executor_options={...})``, ``DSPEX_EXECUTOR`` and
``DSPEX_EXECUTOR_OPTIONS``) and returns the executor. dspex ships ``threads`` (the default)
and ``asyncio``; ``plugins/dspex-ray`` adds ``ray``; ``dspex executors`` lists what is installed.

The contract an executor meets:

* ``map(fn, items, *, max_workers=None, on_result=None) -> list``: ``fn`` on every item, in this
  process; one result per item, in input order; an item whose call raised yields an
  :class:`ExecutorFailure` instead of stopping the others; ``on_result(index, result)`` as each
  finishes; ``max_workers=None`` means the executor's own number.
* optionally ``amap`` (the asyncio twin of ``map``);
* optionally ``run(work, items, *, max_workers=None, on_result=None, cancelled=None) -> list``,
  the same for a :class:`Work` (a module and maybe a metric), which an executor may run in other
  processes or machines by sending ``work.ship()`` (data: the module's saved state, never live
  objects); items for which ``cancelled()`` was true when they were due yield ``None``. Callers
  use ``run`` when it exists and ``map(work, ...)`` otherwise.

A caller that pairs results with its items passes them through :func:`check_results` first.
"""

from __future__ import annotations

from dspex_core._asyncio_executor import AsyncioExecutor
from dspex_core._map import run_work
from dspex_core._shipping import SECRET_ENV_PREFIX, ShippedLM, ShippedModule, configure_worker
from dspex_core._thread_executor import ExecutorFailure, ThreadExecutor, check_results
from dspex_core._work import ShippedWork, Work

__all__ = ["ExecutorFailure", "ThreadExecutor", "AsyncioExecutor", "check_results", "run_work", "Work", "ShippedWork",
           "ShippedModule", "ShippedLM", "SECRET_ENV_PREFIX", "configure_worker"]
