"""The layer's callbacks as dspex is given them (``dspy.configure(callbacks=[...])``, and an LM's own).

The layer fires module events itself (its ``Module.__call__``, with the user's instance), so dspex
gets each callback without its module handlers; native fires the adapter, LM and tool events, and
an LM event names the layer's custom LM rather than dspex's bridge to it. An LM's own callbacks
(``dspy.LM(..., callbacks=[...])``) are added for the calls of predictors using that LM, with
their LM handlers only.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import dspex_core

__all__ = ["for_dspex", "lm_callbacks_heard"]


class _WithoutModuleEvents:
    """A user's callback as dspex is given it: every handler but the module ones (the layer fires
    those itself); an LM event's ``instance`` is the layer's custom LM rather than dspex's bridge to it."""

    __slots__ = ("callback",)
    _HIDDEN = frozenset({"on_module_start", "on_module_end"})

    def __init__(self, callback: Any):
        self.callback = callback

    def __getattr__(self, name: str) -> Any:
        if name in self._HIDDEN:
            raise AttributeError(name)
        handler = getattr(self.callback, name)
        if name == "on_lm_start":
            return functools.partial(_lm_start, handler)
        return handler

    def __repr__(self) -> str:
        return repr(self.callback)


def _lm_start(handler: Callable, call_id: str, instance: Any, inputs: Any) -> Any:
    if getattr(instance, "bridges_layer_lm", False):  # a layer custom LM as dspex calls it: report the LM
        instance = instance.lm
    return handler(call_id=call_id, instance=instance, inputs=inputs)


def for_dspex(callbacks: Any) -> list[Any]:
    """The callbacks to hand dspex for the layer's settings' ``callbacks``."""
    return [_WithoutModuleEvents(cb) for cb in (callbacks or ())]


class _LMEventsOnly(_WithoutModuleEvents):
    """An LM's own callback (``dspy.LM(..., callbacks=[...])``) as dspex is given it for that LM's
    calls: its LM handlers only (DSPy fires an LM's callbacks from the LM's ``__call__``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name not in ("on_lm_start", "on_lm_end"):
            raise AttributeError(name)
        return super().__getattr__(name)


@contextmanager
def lm_callbacks_heard(configured: Any, own: Any) -> Iterator[None]:
    """dspex's callbacks for one predictor call whose LM has callbacks of its own: the configured
    ones, then the LM's (its LM events only, with the same call id, as DSPy fires them)."""
    with dspex_core.context(callbacks=[*for_dspex(configured), *(_LMEventsOnly(cb) for cb in own)]):
        yield
