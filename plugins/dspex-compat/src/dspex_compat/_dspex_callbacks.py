"""The layer's callbacks as dspex is given them (``dspy.configure(callbacks=[...])``).

The layer fires module events itself (its ``Module.__call__``, with the user's instance), so dspex
gets each callback without its module handlers; native fires the adapter, LM and tool events, and
an LM event names the layer's custom LM rather than dspex's bridge to it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

__all__ = ["for_dspex"]


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
