"""The agent loop, as DSPy's ``ReAct.forward`` (and ``aforward``) runs it around the LM.

Up to ``max_iters`` times: ask ``react`` for the next thought, tool and arguments given the
trajectory so far; record them; call the tool (an error becomes the observation); stop after
``finish``. Then ask ``extract`` for the outputs given the whole trajectory, and return the
trajectory, the reasoning and the outputs. Each predictor call goes through
:func:`call_with_truncation`: when the prompt does not fit the context window, the oldest step
is dropped and the call made again, at most three times. The loop ends early, keeping what it
has, when the ``react`` call still does not fit or raises a ``ValueError`` other than a parse
failure; as in DSPy 3.4, a reply that cannot be parsed (an unknown tool name, even after the
JSON retry) is an :class:`~dspex_core.errors.AdapterParseError` for the whole call.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import callbacks
from dspex_core.backend import Prediction
from dspex_core.config import settings
from dspex_core.errors import AdapterParseError, ContextWindowExceededError, InputError

from dspex_native.predictor import call
from dspex_native.react.errors import STILL_TOO_LONG, context_window_error, execution_error, warn
from dspex_native.react.options import call_options, check_inputs
from dspex_native.react.signatures import TRAJECTORY
from dspex_native.react.state import ReActState
from dspex_native.react.trajectory import format_trajectory, truncate
from dspex_native.tools import FINISH as FINISH_NAME

_TRUNCATING = "Trajectory exceeded the context window, truncating the oldest tool call information."
_ENDING = "Ending the trajectory: "
_INVALID_TOOL = "Ending the trajectory: Agent failed to select a valid tool: "


def _prepare(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> tuple[dict, dict, int]:
    """``(inputs, predictor call options, max_iters)``, every check made before any LM call."""
    inputs = check_inputs(state.input_names, inputs, state.module_type)
    lm, config, max_iters = call_options(state, options)
    # The inputs are the same in every request: render them once now, so that a value the
    # prompt cannot hold is an InputError before the first LM call, not in the middle of the loop.
    state.react.format.user_message({**inputs, TRAJECTORY: ""})
    predictor_options: dict[str, Any] = {"lm": lm}
    if config is not None:
        predictor_options["config"] = config
    return inputs, predictor_options, max_iters


def trajectory_adapter(predictor: Any) -> str:
    """The adapter DSPy formats the trajectory with: the one in effect for the predictor (its
    own, else ``dspex.settings().adapter``, else chat)."""
    adapter = predictor.adapter
    if adapter == "auto":
        adapter = settings().adapter or "chat"
    return adapter


def _ends_trajectory(error: ValueError) -> bool:
    """Whether DSPy's ``except ValueError`` would end the trajectory on ``error``: DSPy's parse
    errors are not ``ValueError`` (ours are), and input errors are found before the loop."""
    return not isinstance(error, (AdapterParseError, InputError))


def _result(trajectory: dict[str, Any], extract: Prediction) -> Prediction:
    return Prediction({TRAJECTORY: trajectory, **{k: extract[k] for k in extract.keys()}})


# -- sync ------------------------------------------------------------------------------------

def _extracting(predictor: Any, inputs: dict[str, Any]) -> Any:
    """DSPy's ``extract`` is a ``ChainOfThought`` around a ``Predict``: with callbacks, its module
    events wrap the predictor's own (``instance`` is the extract predictor's state)."""
    found = callbacks.active()
    return callbacks.ModuleEvents(found, predictor, inputs) if found else None


def _execute(predictor: Any, inputs: dict[str, Any], options: dict[str, Any], extract: bool) -> Prediction:
    events = _extracting(predictor, inputs) if extract else None
    if events is None:
        return call.execute(predictor, inputs, **options)
    with events:
        events.outputs = call.execute(predictor, inputs, **options)
    return events.outputs


async def _aexecute(predictor: Any, inputs: dict[str, Any], options: dict[str, Any], extract: bool) -> Prediction:
    events = _extracting(predictor, inputs) if extract else None
    if events is None:
        return await call.aexecute(predictor, inputs, **options)
    with events:
        events.outputs = await call.aexecute(predictor, inputs, **options)
    return events.outputs


def call_with_truncation(predictor: Any, trajectory: dict[str, Any], inputs: dict[str, Any],
                         options: dict[str, Any], extract: bool = False) -> Prediction:
    """One predictor call with the trajectory, truncated and retried when it does not fit."""
    last_error = None
    adapter = trajectory_adapter(predictor)
    for _ in range(3):
        try:
            text = format_trajectory(trajectory, adapter)
            return _execute(predictor, {**inputs, TRAJECTORY: text}, options, extract)
        except ContextWindowExceededError as error:
            warn(_TRUNCATING)
            last_error = error
            trajectory = truncate(trajectory)
    raise context_window_error(STILL_TOO_LONG, last_error) from last_error


def run(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Prediction:
    """DSPy's ``ReAct.forward``."""
    inputs, predictor_options, max_iters = _prepare(state, inputs, options)
    tools = state.tools
    trajectory: dict[str, Any] = {}
    for idx in range(max_iters):
        try:
            pred = call_with_truncation(state.react, trajectory, inputs, predictor_options)
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
    extract = call_with_truncation(state.extract, trajectory, inputs, predictor_options, extract=True)
    return _result(trajectory, extract)


# -- async -----------------------------------------------------------------------------------

async def acall_with_truncation(predictor: Any, trajectory: dict[str, Any], inputs: dict[str, Any],
                                options: dict[str, Any], extract: bool = False) -> Prediction:
    """:func:`call_with_truncation` with the predictor's async call."""
    last_error = None
    adapter = trajectory_adapter(predictor)
    for _ in range(3):
        try:
            text = format_trajectory(trajectory, adapter)
            return await _aexecute(predictor, {**inputs, TRAJECTORY: text}, options, extract)
        except ContextWindowExceededError as error:
            warn(_TRUNCATING)
            last_error = error
            trajectory = truncate(trajectory)
    raise context_window_error(STILL_TOO_LONG, last_error) from last_error


async def arun(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Prediction:
    """DSPy's ``ReAct.aforward``: async predictor calls, tools through ``acall``."""
    inputs, predictor_options, max_iters = _prepare(state, inputs, options)
    tools = state.tools
    trajectory: dict[str, Any] = {}
    for idx in range(max_iters):
        try:
            pred = await acall_with_truncation(state.react, trajectory, inputs, predictor_options)
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
            trajectory[f"observation_{idx}"] = await tools[name].acall(**pred.next_tool_args)
        except Exception as error:  # noqa: BLE001 - the LM reads what went wrong and carries on
            trajectory[f"observation_{idx}"] = execution_error(name, error)
        if name == FINISH_NAME:
            break
    extract = await acall_with_truncation(state.extract, trajectory, inputs, predictor_options, extract=True)
    return _result(trajectory, extract)
