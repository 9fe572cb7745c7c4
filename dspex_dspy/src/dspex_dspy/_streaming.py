"""Streaming a dspy-backed module: ``dspy.streamify`` with a ``StreamListener`` per output field.

Every predictor of the module (``named_predictors()``) gets a listener for each of its output
fields (``allow_reuse=True``: a ReAct's predictors run once per step, and each step streams), so
the module streams what dspy streams: a Predict's outputs, a ChainOfThought's ``reasoning`` then
its outputs, a ReAct's ``next_thought``, ``next_tool_name``, ``next_tool_args`` each step and its
extraction's fields at the end. dspy's ``StreamResponse`` items become
:class:`~dspex_core.StreamChunk` items (its empty last chunks are left out); its status messages
are dropped; its final ``dspy.Prediction`` becomes the dspex Prediction the call would return.
The program runs in dspy's own sync streaming (a worker thread with a copy of this context), inside
the call's ``dspy.context`` (LM, adapter, usage tracking, callbacks).
"""

from __future__ import annotations

from typing import Any, Iterator

import dspy
from dspex_core.backend import StreamChunk


def listeners(module: Any) -> list[Any]:
    """A listener per output field of each of ``module``'s predictors."""
    found = []
    for name, predictor in module.named_predictors():
        for field in predictor.signature.output_fields:
            found.append(dspy.streaming.StreamListener(signature_field_name=field, predict=predictor,
                                                       predict_name=name, allow_reuse=True))
    return found


def streamed(module: Any, kwargs: dict[str, Any]) -> Iterator[Any]:
    """``module(**kwargs)`` streamed: StreamChunk items, then the final dspy.Prediction (in the
    caller's ``dspy.context``)."""
    program = dspy.streamify(module, stream_listeners=listeners(module), async_streaming=False)
    final = None
    for item in program(**kwargs):
        if isinstance(item, dspy.streaming.StreamResponse):
            if item.chunk:
                yield StreamChunk(item.signature_field_name, item.chunk, item.predict_name)
        elif isinstance(item, dspy.Prediction):
            final = item
    yield final
