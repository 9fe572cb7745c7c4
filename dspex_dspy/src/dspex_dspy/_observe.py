"""dspex's callbacks and usage tracking, handed to dspy for one call of a dspy module.

dspy fires DSPy's callbacks itself, at its own points (``dspy.context(callbacks=[...])``: the
ones dspy was configured with, then dspex's); so the core does not fire the module's events for
this backend (its implementations say ``fires_callbacks = True``). dspy tracks usage only under
``track_usage=True``; the call runs so, and the usage dspy puts on the prediction is recorded in
dspex's open records and trackers (``dspex_core.usage.record``), so ``pred.get_lm_usage()`` and
``dspex.track_usage()`` count it as they count native calls. A budget is checked before the
module runs (dspy's LM calls inside one module call are not stopped one by one).
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core import callbacks
from dspex_core.usage import check_budget, record
from dspy.utils.callback import BaseCallback


def context_settings() -> dict[str, Any]:
    """The extra ``dspy.context`` settings of a call: ``track_usage``, and the callbacks if any."""
    check_budget()
    found = callbacks.active()
    if not found:
        return {"track_usage": True}
    return {"track_usage": True, "callbacks": [*(dspy.settings.get("callbacks") or []), *map(for_dspy, found)]}


#: id(callback) -> (callback, what dspy is given for it)
_given: dict[int, tuple[Any, Any]] = {}


def for_dspy(callback: Any) -> Any:
    """``callback`` as dspy calls it. dspex's callbacks are duck-typed (a method the object lacks
    is skipped), but dspy calls every handler of ``BaseCallback`` by name and logs a warning for
    each one missing: an object that is not a ``BaseCallback`` is given to dspy inside one whose
    missing handlers are ``BaseCallback``'s own (which do nothing). Made once per object."""
    if isinstance(callback, BaseCallback):
        return callback
    hit = _given.get(id(callback))
    if hit is not None and hit[0] is callback:
        return hit[1]
    if len(_given) > 256:  # callbacks made per call: start again rather than grow
        _given.clear()
    made = _Completed(callback)
    _given[id(callback)] = (callback, made)
    return made


class _Completed(BaseCallback):
    """A duck-typed callback with every ``BaseCallback`` handler: its own where it has one."""

    def __init__(self, callback: Any):
        self.callback = callback
        for name in _HANDLERS:
            handler = getattr(callback, name, None)
            if handler is not None:
                setattr(self, name, handler)

    def __repr__(self) -> str:
        return repr(self.callback)


_HANDLERS = tuple(name for name in dir(BaseCallback) if name.startswith("on_"))


def record_usage(result: Any) -> Any:
    """Record the usage dspy put on ``result`` (a dspy.Prediction) in dspex's records; ``result`` as it is."""
    getter = getattr(result, "get_lm_usage", None)
    usage = getter() if getter is not None else None
    if usage:
        for model, entry in usage.items():
            record(model, entry)
    return result
