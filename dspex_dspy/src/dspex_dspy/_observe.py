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


def context_settings() -> dict[str, Any]:
    """The extra ``dspy.context`` settings of a call: ``track_usage``, and the callbacks if any."""
    check_budget()
    found = callbacks.active()
    if not found:
        return {"track_usage": True}
    return {"track_usage": True, "callbacks": [*(dspy.settings.get("callbacks") or []), *found]}


def record_usage(result: Any) -> Any:
    """Record the usage dspy put on ``result`` (a dspy.Prediction) in dspex's records; ``result`` as it is."""
    getter = getattr(result, "get_lm_usage", None)
    usage = getter() if getter is not None else None
    if usage:
        for model, entry in usage.items():
            record(model, entry)
    return result
