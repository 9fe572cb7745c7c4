"""Work: one module run over many items, described so that any executor can run it anywhere.

``dspex.map`` and native ``evaluate`` hand an executor a :class:`Work` and the items. An
in-process executor calls it (``work(item)``, or ``await work.acall(item)``) with the live module;
an executor that runs work in other processes or machines (``ray``) calls :meth:`Work.ship`
once and sends the :class:`ShippedWork` it returns, which is data (see
:mod:`dspex_core._shipping`): the worker configures itself from it once
(:meth:`ShippedWork.configure`), rebuilds the module (:meth:`ShippedWork.rebuild`, cached per
worker by ``ShippedWork.key``) and calls that on its items. Both ways run the same code on an
item, so results are the same wherever it ran.

An item is a dict of inputs or an :class:`~dspex_core.Example` (its inputs are used). With a
``metric`` the result of an item is ``(prediction, score)``, the metric called as
``metric(example, prediction)`` (a ``metrics`` module's ``score`` for a module), else the
prediction alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from dspex_core._module_ref import ModuleRef, aexecute, check_inputs, execute
from dspex_core.errors import CapabilityError


def _score(metric: Any, item: Any, prediction: Any) -> Any:
    if isinstance(metric, ModuleRef):
        return execute(metric, {"example": item, "pred": prediction}).score
    return metric(item, prediction)


class Work:
    """A module (and for an evaluation, a metric) to run on each of many items."""

    __slots__ = ("ref", "metric")

    def __init__(self, ref: ModuleRef | Any, metric: Any = None):
        self.ref = ref
        self.metric = metric

    def __call__(self, item: Any) -> Any:
        ref = self.ref
        if isinstance(ref, ModuleRef):
            prediction = execute(ref, dict(check_inputs(item)))
        else:  # a plain callable program (evaluate accepts one), called with the inputs as keywords
            prediction = ref(**check_inputs(item))
        if self.metric is None:
            return prediction
        return prediction, _score(self.metric, item, prediction)

    async def acall(self, item: Any) -> Any:
        """The async twin (the backend's ``aexecute``; an async metric is awaited)."""
        import inspect

        import asyncio

        ref = self.ref
        if isinstance(ref, ModuleRef):
            prediction = await aexecute(ref, dict(check_inputs(item)))
        elif callable(getattr(ref, "acall", None)):
            prediction = await ref.acall(**check_inputs(item))
        elif inspect.iscoroutinefunction(ref) or inspect.iscoroutinefunction(getattr(ref, "__call__", None)):
            prediction = await ref(**check_inputs(item))
        else:
            prediction = await asyncio.to_thread(ref, **check_inputs(item))
        if self.metric is None:
            return prediction
        score = _score(self.metric, item, prediction)
        if inspect.isawaitable(score):
            score = await score
        return prediction, score

    def ship(self) -> tuple["ShippedWork", dict[str, str]]:
        """This work as data, and the environment variables its workers need (credentials).

        Raises :class:`~dspex_core.errors.CapabilityError` naming what cannot be sent to another
        process (a custom LM object, a module built on another module, an implementation without
        ``dump_state``/``load_state``), before any work starts. The metric and create options
        such as tools travel as the executor serializes Python objects.
        """
        from dspex_core._shipping import _Secrets, ship_module, ship_settings
        from dspex_core.config import settings

        if not isinstance(self.ref, ModuleRef):
            raise CapabilityError(f"the program is a {type(self.ref).__name__}, not a module: only a module made "
                                  f"by dspex (a ModuleRef) can be sent to another process, as its saved state")
        secrets = _Secrets()
        module = ship_module(self.ref, "the program", secrets)
        metric = ship_module(self.metric, "the metric", secrets) if isinstance(self.metric, ModuleRef) \
            else self.metric
        shipped = ShippedWork(uuid.uuid4().hex, module, metric, ship_settings(settings(), secrets))
        return shipped, secrets.env


class ShippedWork:
    """A :class:`Work` as data: the module, the metric, and the settings of its workers."""

    __slots__ = ("key", "module", "metric", "settings")

    def __init__(self, key: str, module: Any, metric: Any, settings: dict[str, Any]):
        self.key = key
        self.module = module
        self.metric = metric
        self.settings = settings

    def configure(self) -> None:
        """Configure this worker process as the caller's process was (LM, adapter, routing)."""
        from dspex_core._shipping import configure_worker

        configure_worker(self.settings)

    def rebuild(self) -> Work:
        """The work again, in this process: the module rebuilt from its saved state."""
        from dspex_core._shipping import ShippedModule

        metric = self.metric.rebuild() if isinstance(self.metric, ShippedModule) else self.metric
        return Work(self.module.rebuild(), metric)

    def __repr__(self) -> str:
        return f"ShippedWork({self.key}, {self.module!r})"
