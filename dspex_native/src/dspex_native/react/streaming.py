"""The agent loop streamed: each step's fields as the LM writes them, then the Prediction.

The loop is :func:`dspex_native.react.loop.run`'s, step for step (the same requests, truncation,
endings and result); each predictor call is streamed (:func:`dspex_native.predictor.streaming.stream_as`),
its chunks named as dspy names ReAct's predictors: ``next_thought``, ``next_tool_name`` and
``next_tool_args`` from ``"react"`` at every step, then ``reasoning`` and the outputs from
``"extract.predict"``. A call that does not fit the context window fails before it streams
anything, so the oldest step is dropped and the call made again, as without streaming.
"""

from __future__ import annotations

from typing import Any, Generator, Iterator, Mapping

from dspex_core.backend import Prediction
from dspex_core.errors import ContextWindowExceededError

from dspex_native.predictor.streaming import stream_as
from dspex_native.react.errors import STILL_TOO_LONG, context_window_error, execution_error, warn
from dspex_native.react.loop import (
    _ENDING,
    _INVALID_TOOL,
    _TRUNCATING,
    _ends_trajectory,
    _extracting,
    _prepare,
    _result,
    trajectory_adapter,
)
from dspex_native.react.signatures import TRAJECTORY
from dspex_native.react.state import EXTRACT, REACT, ReActState
from dspex_native.react.trajectory import format_trajectory, truncate
from dspex_native.tools import FINISH as FINISH_NAME


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


def _with_truncation(name: str, predictor: Any, trajectory: dict[str, Any], inputs: dict[str, Any],
                     options: dict[str, Any], extract: bool = False) -> Generator[Any, None, Prediction]:
    """:func:`~dspex_native.react.loop.call_with_truncation`, streamed."""
    last_error = None
    adapter = trajectory_adapter(predictor)
    for _ in range(3):
        try:
            text = format_trajectory(trajectory, adapter)
            return (yield from _streamed(name, predictor, {**inputs, TRAJECTORY: text}, options, extract))
        except ContextWindowExceededError as error:
            warn(_TRUNCATING)
            last_error = error
            trajectory = truncate(trajectory)
    raise context_window_error(STILL_TOO_LONG, last_error) from last_error


def stream(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Iterator[Any]:
    """DSPy's ``ReAct.forward``, streamed (see the module doc)."""
    inputs, predictor_options, max_iters = _prepare(state, inputs, options)
    tools = state.tools
    trajectory: dict[str, Any] = {}
    for idx in range(max_iters):
        try:
            pred = yield from _with_truncation(REACT, state.react, trajectory, inputs, predictor_options)
        except ContextWindowExceededError as error:
            warn(_ENDING, error)
            break
        except ValueError as error:
            if not _ends_trajectory(error):
                raise
            warn(_INVALID_TOOL, error)
            break
        name = pred.next_tool_name
        trajectory[f"thought_{idx}"] = pred.next_thought
        trajectory[f"tool_name_{idx}"] = name
        trajectory[f"tool_args_{idx}"] = pred.next_tool_args
        try:
            trajectory[f"observation_{idx}"] = tools[name](**pred.next_tool_args)
        except Exception as error:  # noqa: BLE001 - the LM reads what went wrong and carries on
            trajectory[f"observation_{idx}"] = execution_error(name, error)
        if name == FINISH_NAME:
            break
    extract = yield from _with_truncation(EXTRACT, state.extract, trajectory, inputs, predictor_options, extract=True)
    yield _result(trajectory, extract)
