"""The ``ray`` executor: work runs on Ray actors, shipped as data, results in input order.

``dspex.configure(executor="ray", executor_options={...})``; the options are this class's
constructor arguments:

``address``           ``None`` starts a local Ray; ``"auto"``, ``"ray://head:10001"`` join a cluster
``num_cpus``          CPUs of a local Ray this executor starts (Ray's default: all of them)
``workers``           actors to run work on (default: the cluster's CPUs)
``concurrency``       items in flight over all actors (default: the caller's ``num_threads``, else 16)
``max_retries``       restarts of a worker that died, and retries of its calls (Ray's; default 3)
``connect_timeout``   seconds to wait for a cluster's address to answer (default 30)
``progress``          draw a progress line on stderr (default: when it is a terminal)
``init_options``      further ``ray.init`` keyword arguments, passed through
``runtime_env``       a Ray ``runtime_env`` for the workers (``env_vars`` are merged with the credentials)

What travels (see docs/scale-out.md): a module as its saved state (``dump_state``), backend name,
spec and options; the caller's settings with the LM as its description; the metric, tools and
items by Ray's serialization (checked before any work starts); the LM's credentials only in the
workers' environment (``runtime_env``), never in a call's arguments or Ray's object store.
"""

from __future__ import annotations

import hashlib
import math
import threading
from typing import Any, Callable, Iterable, Mapping

from dspex_core.errors import CapabilityError, ConfigError, InputError

from dspex_ray import _serialization
from dspex_ray._connection import connect
from dspex_ray._progress import Progress, terminal

DEFAULT_CONCURRENCY = 16


def _positive(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigError(f"executor_options {name} must be a positive integer, got {value!r}")


class RayExecutor:
    """Runs :class:`~dspex_core.executors.Work` on Ray actors (see the module docstring)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None, workers: int | None = None,
                 concurrency: int | None = None, max_retries: int = 3, connect_timeout: float = 30.0,
                 progress: bool | None = None, init_options: Mapping[str, Any] | None = None,
                 runtime_env: Mapping[str, Any] | None = None) -> None:
        for name, value in (("num_cpus", num_cpus), ("workers", workers), ("concurrency", concurrency)):
            _positive(name, value)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"executor_options max_retries must be a non-negative integer, got {max_retries!r}")
        if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float)) or connect_timeout <= 0:
            raise ConfigError(f"executor_options connect_timeout must be a positive number of seconds, "
                              f"got {connect_timeout!r}")
        if address is not None and not isinstance(address, str):
            raise ConfigError(f"executor_options address must be a string such as 'ray://head:10001', got {address!r}")
        self.address = address
        self.num_cpus = num_cpus
        self.workers = workers
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.connect_timeout = float(connect_timeout)
        self.progress = progress
        self.init_options = dict(init_options or {})
        self.runtime_env = dict(runtime_env or {})

    # -- the executor contract --------------------------------------------------------------
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, max_workers: int | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """Not served: a Python function is a live object, and this executor ships work as data."""
        raise CapabilityError("executor 'ray' runs modules (dspex.map, evaluate, optimizers' evaluations), sent "
                              "to its workers as saved state; it does not run arbitrary Python functions "
                              f"({getattr(fn, '__qualname__', type(fn).__name__)}); use executor='threads' for that")

    def run(self, work: Any, items: Iterable[Any], *, max_workers: int | None = None,
            on_result: Callable[[int, Any], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> list[Any]:
        """``work`` on every item on Ray actors; one result per item, in input order."""
        from dspex_core.executors import ExecutorFailure

        items = list(items)
        if not items:
            return []
        shipped, env = work.ship()  # refuses, naming it, what cannot travel as data
        _serialization.check(self._parts(shipped, items))
        ray = connect(self.address, self.num_cpus, self.init_options, self.connect_timeout)
        concurrency = self.concurrency or max_workers or DEFAULT_CONCURRENCY
        pool = self._pool_for(ray, shipped.settings, env, concurrency)
        box = [ray.put(shipped)]
        results: list[Any] = [None] * len(items)
        pending: dict[Any, tuple[int, int]] = {}  # object ref -> (item index, actor index)
        load = [0] * len(pool.actors)
        progress = Progress(len(items), terminal(self.progress, on_result is not None))
        following = 0
        try:
            while following < len(items) or pending:
                while len(pending) < concurrency and following < len(items):
                    if cancelled is not None and cancelled():
                        following = len(items)  # the rest stay None: skipped
                        break
                    actor = min(range(len(load)), key=load.__getitem__)
                    ref = pool.actors[actor].run.remote(shipped.key, box, items[following])
                    pending[ref] = (following, actor)
                    load[actor] += 1
                    following += 1
                if not pending:
                    break
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index, actor = pending.pop(ref)
                    load[actor] -= 1
                    try:
                        outcome = ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - the worker died more often than max_retries
                        outcome = ExecutorFailure(RuntimeError(
                            f"item {index} was lost with its Ray worker after {self.max_retries} retries: "
                            f"{type(exc).__name__}: {exc}"))
                    results[index] = outcome
                    progress.update(isinstance(outcome, ExecutorFailure), len(pending))
                    if on_result is not None:
                        on_result(index, outcome)
        except BaseException:  # interrupted, or on_result raised: what has not finished is not wanted
            for ref in pending:
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 - already finished, or its worker is gone
                    pass
            raise
        finally:
            progress.close()
        return results

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _parts(shipped: Any, items: list[Any]) -> list[tuple[str, Any]]:
        from dspex_core.executors import ShippedModule

        parts: list[tuple[str, Any]] = []
        modules = [("the program", shipped.module)]
        if isinstance(shipped.metric, ShippedModule):
            modules.append(("the metric", shipped.metric))
        elif shipped.metric is not None:
            parts.append((f"the metric {getattr(shipped.metric, '__name__', type(shipped.metric).__name__)!r}",
                          shipped.metric))
        for what, module in modules:
            parts.append((f"{what}'s spec", module.spec))
            parts += [(f"{what}'s option {key!r}", value) for key, value in module.options.items()]
            parts.append((f"{what}'s saved state", module.state))
        parts += [(f"the setting {key!r}", value) for key, value in shipped.settings.items()]
        parts += [(f"items[{index}]", item) for index, item in enumerate(items)]
        return parts

    def _pool_for(self, ray: Any, settings: dict[str, Any], env: dict[str, str], concurrency: int) -> "_Pool":
        from ray import cloudpickle

        session = ray.get_runtime_context().get_job_id()
        runtime_env = dict(self.runtime_env)
        runtime_env["env_vars"] = {**dict(runtime_env.get("env_vars") or {}), **env}
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        per_worker = max(1, math.ceil(concurrency / workers))
        digest = hashlib.sha256(cloudpickle.dumps((settings, sorted(runtime_env["env_vars"].items()),
                                                   {k: v for k, v in runtime_env.items() if k != "env_vars"},
                                                   workers, per_worker))).hexdigest()
        global _pool
        with _pool_lock:
            pool = _pool
            if pool is not None and pool.session == session and pool.digest == digest:
                return pool
            if pool is not None and pool.session == session:
                pool.close(ray)  # its actors hold the CPUs the new ones need
            _pool = _Pool(ray, session, digest, settings, runtime_env, workers, per_worker, self.max_retries)
            return _pool

    @staticmethod
    def shutdown() -> None:
        """Stop the workers (Ray itself keeps running)."""
        global _pool
        with _pool_lock:
            if _pool is not None:
                import ray

                if ray.is_initialized():
                    _pool.close(ray)
                _pool = None


#: The one set of workers of this process, whichever executor instance made it: workers hold
#: CPUs on the cluster, so a run with another configuration (LM, settings, concurrency) replaces
#: them rather than waiting for CPUs that the previous set still holds.
_pool: "_Pool | None" = None
_pool_lock = threading.Lock()


class _Pool:
    """The actors of one configuration: created once, reused by every run with that configuration."""

    def __init__(self, ray: Any, session: Any, digest: str, settings: dict[str, Any], runtime_env: dict[str, Any],
                 workers: int, per_worker: int, max_retries: int):
        from dspex_ray._worker import Worker

        self.session = session
        self.digest = digest
        cpus = ray.cluster_resources().get("CPU", 1)
        remote = ray.remote(Worker).options(
            num_cpus=min(1.0, cpus / workers), max_concurrency=per_worker, max_restarts=max_retries,
            max_task_retries=max_retries, runtime_env=runtime_env if runtime_env.get("env_vars") or len(runtime_env) > 1
            else None)
        self.actors = [remote.remote(settings) for _ in range(workers)]

    def close(self, ray: Any) -> None:
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
