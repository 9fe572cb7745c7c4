"""Driving a ``parallel`` run on threads: the configured executor runs the calls, the caller waits.

``dspex.settings().executor`` (the core's ``"threads"`` executor by default) maps the calls
over ``num_threads`` workers; each call runs in a copy of the caller's context, so
``dspex.context(...)`` settings and the session reach every worker. With one thread the calls
run one after the other in the caller's thread, as DSPy's are. With more, the executor runs
in a helper thread while the caller waits on the run, so that the caller can raise as soon as
``max_errors`` is reached and start stragglers again (each on a thread of its own, beside the
executor's workers) without waiting for the slow calls; as in DSPy, those calls finish in
the background and their outcomes are dropped.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Callable

from dspex_core.usage import share_with_workers

from dspex_native.parallel.run import Run


def run_in_threads(run: Run, call: Callable[[dict[str, Any]], Any], inputs: list[dict[str, Any]],
                   num_threads: int) -> None:
    """Run ``call`` on every entry of ``inputs``; outcomes go to ``run``. Returns when the
    run is over (every example decided, or cancelled)."""
    from dspex_core import registry, settings

    def work(index: int) -> None:
        if not run.start(index):
            return
        try:
            prediction = call(inputs[index])
        except Exception as exc:  # noqa: BLE001 - the example's outcome, counted against max_errors
            run.failed(index, exc)
        else:
            run.succeeded(index, prediction)

    name = settings().executor
    executor = registry.executor(name)
    if not inputs:
        return
    if num_threads == 1:
        executor.map(work, range(len(inputs)), max_workers=1)
        _check_every_call_ran(run, name)
        return
    share_with_workers()  # the calls' LM usage counts toward the calling module's prediction
    caller = contextvars.copy_context()
    crashed: list[BaseException] = []
    mapped = threading.Event()

    def drive() -> None:
        try:
            executor.map(work, range(len(inputs)), max_workers=num_threads)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            crashed.append(exc)
        finally:
            mapped.set()
            with run.cond:
                run.cond.notify_all()

    threading.Thread(target=caller.copy().run, args=(drive,), name="dspex-parallel", daemon=True).start()
    try:
        with run.cond:
            while not run.over() and not mapped.is_set():
                due, wait = run.stragglers()
                for index in due:
                    threading.Thread(target=caller.copy().run, args=(work, index), name="dspex-parallel-again",
                                     daemon=True).start()
                if not due:
                    run.cond.wait(wait)
    except BaseException:
        run.cancel()  # interrupted: skip what has not started
        raise
    if crashed:
        raise crashed[0]
    _check_every_call_ran(run, name)


def _check_every_call_ran(run: Run, executor: str) -> None:
    """Once the executor's ``map`` returned, every example has an outcome unless the run was
    cancelled: an executor that skipped an item would otherwise leave a ``None`` result that
    looks like a failed call."""
    from dspex_core.errors import PluginError

    with run.cond:
        missing = [] if run.over() else run.undecided()
    if missing:
        raise PluginError(f"executor {executor!r} never ran examples[{missing[0]}] ({len(missing)} of "
                          f"{run.count} examples): an executor's map() must call the function once per item")
