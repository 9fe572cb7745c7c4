"""The agent loop streamed: each step's fields as the LM writes them, then the Prediction.

The loop is :func:`dspex_native.react.loop.steps`, the one the sync and async calls drive (the same
requests, truncation, endings and result); here each predictor call it asks for is streamed
(:func:`dspex_native.predictor.streaming.stream_as`), its chunks named as dspy names ReAct's
predictors: ``next_thought``, ``next_tool_name`` and ``next_tool_args`` from ``"react"`` at every
step, then ``reasoning`` and the outputs from ``"extract.predict"``. A call that does not fit the
context window fails before it streams anything, so the oldest step is dropped and the call made
again, as without streaming.
"""

from __future__ import annotations

from typing import Any, Generator, Iterator, Mapping

from dspex_core.backend import Prediction

from dspex_native.predictor.streaming import stream_as
from dspex_native.react.loop import PREDICT, TOOL, _extracting, advance, observe, steps
from dspex_native.react.state import EXTRACT, REACT, ReActState


def _streamed(name: str, predictor: Any, inputs: dict[str, Any], options: dict[str, Any],
              extract: bool) -> Generator[Any, None, Prediction]:
    """One predictor call streamed: yields its chunks, returns its Prediction."""
    events = _extracting(predictor, inputs) if extract else None
    final = None
    if events is None:
        for item in stream_as(name, predictor, inputs, options):
            if isinstance(item, Prediction):
                final = item
            else:
                yield item
        return final
    with events:
        for item in stream_as(name, predictor, inputs, options):
            if isinstance(item, Prediction):
                final = events.outputs = item
            else:
                yield item
    return final


def stream(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Iterator[Any]:
    """DSPy's ``ReAct.forward``, streamed (see the module doc): :func:`~dspex_native.react.loop.steps`
    driven with streamed predictor calls."""
    loop, value, error = steps(state, inputs, options), None, None
    while True:
        ask = advance(loop, value, error)
        value = error = None
        if ask[0] is PREDICT:
            _, predictor, call_inputs, call_options, extract = ask
            try:
                value = yield from _streamed(EXTRACT if extract else REACT, predictor, call_inputs, call_options,
                                             extract)
            except Exception as exc:  # noqa: BLE001 - the loop decides (thrown back into it)
                error = exc
        elif ask[0] is TOOL:
            value = observe(state.tools, ask[1], ask[2])
        else:
            yield ask[1]
            return
