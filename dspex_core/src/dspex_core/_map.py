"""``dspex.map``: one module over many inputs on the configured executor, results in input order.

``run_work`` is the one way a :class:`~dspex_core._work.Work` reaches an executor, shared by
``dspex.map`` and native ``evaluate``: the executor's ``run`` when it has one (it may send the
work to other processes), else its ``map`` with the work called in this process; either way the
result list is checked to hold one entry per item before anyone pairs it with the items.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from dspex_core._module_ref import ModuleRef
from dspex_core._thread_executor import ExecutorFailure, check_results
from dspex_core._work import Work
from dspex_core.errors import InputError


def run_work(work: Work, items: Sequence[Any], *, executor: str | None = None, max_workers: int | None = None,
             on_result: Callable[[int, Any], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> tuple[str, list[Any]]:
    """``(executor name, results)``: ``work`` on every item, through the executor named ``executor``
    (default: the configured one). A result is the item's outcome, an :class:`ExecutorFailure`, or
    ``None`` for an item skipped once ``cancelled()`` was true."""
    from dspex_core import registry
    from dspex_core.config import settings

    name = executor if executor is not None else settings().executor
    chosen = registry.executor(name)
    run = getattr(chosen, "run", None)
    if callable(run):
        results = run(work, items, max_workers=max_workers, on_result=on_result, cancelled=cancelled)
    else:
        def call(item: Any) -> Any:
            if cancelled is not None and cancelled():
                return None
            return work(item)

        results = chosen.map(call, items, max_workers=max_workers, on_result=on_result)
    return name, check_results(name, items, results)


def _checked_items(items: Any) -> list[Any]:
    from dspex_core._example import Example

    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
        raise InputError(f"dspex.map takes a list of input dicts or Examples, got {type(items).__name__}")
    items = list(items)
    for index, item in enumerate(items):
        if not isinstance(item, (Mapping, Example)):
            raise InputError(f"dspex.map: items[{index}] is a {type(item).__name__}; each item is a dict of "
                             f"inputs or a dspex.Example")
    return items


def map(ref: ModuleRef, items: Sequence[Any], *, executor: str | None = None,  # noqa: A001 - dspex.map
        return_exceptions: bool = False) -> list[Any]:
    """Run ``ref`` on every item (a dict of inputs, or an Example's inputs); results in input order.

    ``executor`` names a registered executor (default: the configured ``executor``, ``threads``
    unless set; ``dspex executors`` lists them). With ``return_exceptions=True`` an item whose call
    failed is its exception in the list and every other item still completes; otherwise, once
    every item has run, the first failure in input order is raised.
    """
    if not isinstance(ref, ModuleRef):
        raise InputError(f"dspex.map runs a module: expected a ModuleRef from create(...), got {type(ref).__name__}")
    if executor is not None and not isinstance(executor, str):
        raise InputError(f"executor= is the name of a registered executor, got {type(executor).__name__}")
    items = _checked_items(items)
    if not items:
        return []
    _, results = run_work(Work(ref), items, executor=executor)
    out = [r.error if isinstance(r, ExecutorFailure) else r for r in results]
    if not return_exceptions:
        for result in results:
            if isinstance(result, ExecutorFailure):
                raise result.error
    return out
