"""The agent loop, as DSPy's ``ReAct.forward`` (and ``aforward``) runs it around the LM.

The loop is written once, :func:`steps`, a generator that yields what it needs done (a
predictor call, a tool call); :func:`run`, :func:`arun` and the streamed call
(:mod:`dspex_native.react.streaming`) drive it.

Up to ``max_iters`` times: ask ``react`` for the next thought, tool and arguments given the
trajectory so far; record them; call the tool (an error becomes the observation); stop after
``finish``. Then ask ``extract`` for the outputs given the whole trajectory, and return the
trajectory, the reasoning and the outputs. Each predictor call goes through
:func:`_with_truncation`: when the prompt does not fit the context window, the oldest step
is dropped and the call made again, at most three times. The loop ends early, keeping what it
has, when the ``react`` call still does not fit or raises a ``ValueError`` other than a parse
failure; as in DSPy 3.4, a reply that cannot be parsed (an unknown tool name, even after the
JSON retry) is an :class:`~dspex_core.errors.AdapterParseError` for the whole call.
"""

from __future__ import annotations

from typing import Any, Generator, Mapping

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


# -- the predictor calls ---------------------------------------------------------------------

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


# -- the loop, once: what it asks for is done by a driver (sync, async or streamed) -------------

PREDICT = "predict"
TOOL = "tool"
DONE = "done"


def steps(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Generator[tuple, Any, Prediction]:
    """DSPy's ``ReAct.forward`` with its calls left to a driver: yields ``(PREDICT, predictor,
    inputs, options, extract)`` and is sent the prediction (or thrown the call's error), yields
    ``(TOOL, name, arguments)`` and is sent the observation; returns the Prediction."""
    inputs, predictor_options, max_iters = _prepare(state, inputs, options)
    trajectory: dict[str, Any] = {}
    for idx in range(max_iters):
        try:
            pred = yield from _with_truncation(state.react, trajectory, inputs, predictor_options, False)
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
        trajectory[f"observation_{idx}"] = yield (TOOL, name, pred.next_tool_args)
        if name == FINISH_NAME:
            break
    extract = yield from _with_truncation(state.extract, trajectory, inputs, predictor_options, True)
    return _result(trajectory, extract)


def _with_truncation(predictor: Any, trajectory: dict[str, Any], inputs: dict[str, Any], options: dict[str, Any],
                     extract: bool) -> Generator[tuple, Any, Prediction]:
    """One predictor call with the trajectory, truncated and asked again when it does not fit."""
    last_error = None
    adapter = trajectory_adapter(predictor)
    for _ in range(3):
        try:
            text = format_trajectory(trajectory, adapter)
            return (yield (PREDICT, predictor, {**inputs, TRAJECTORY: text}, options, extract))
        except ContextWindowExceededError as error:
            warn(_TRUNCATING)
            last_error = error
            trajectory = truncate(trajectory)
    raise context_window_error(STILL_TOO_LONG, last_error) from last_error


def advance(loop: Generator[tuple, Any, Prediction], value: Any, error: Exception | None) -> tuple:
    """The loop's next ask once it has ``value`` (or was thrown ``error``); ``(DONE, prediction)`` at its end."""
    try:
        return loop.throw(error) if error is not None else loop.send(value)
    except StopIteration as done:
        return DONE, done.value


def observe(tools: Mapping[str, Any], name: str, arguments: Any) -> Any:
    """A tool's result, or what went wrong as its observation (the LM reads it and carries on)."""
    try:
        return tools[name](**arguments)
    except Exception as error:  # noqa: BLE001
        return execution_error(name, error)


async def aobserve(tools: Mapping[str, Any], name: str, arguments: Any) -> Any:
    """:func:`observe` through the tool's ``acall``."""
    try:
        return await tools[name].acall(**arguments)
    except Exception as error:  # noqa: BLE001
        return execution_error(name, error)


def run(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Prediction:
    """DSPy's ``ReAct.forward``: :func:`steps` driven with the predictors' sync calls."""
    loop, value, error = steps(state, inputs, options), None, None
    while True:
        ask = advance(loop, value, error)
        value = error = None
        if ask[0] is PREDICT:
            try:
                value = _execute(*ask[1:])
            except Exception as exc:  # noqa: BLE001 - the loop decides (thrown back into it)
                error = exc
        elif ask[0] is TOOL:
            value = observe(state.tools, ask[1], ask[2])
        else:
            return ask[1]


async def arun(state: ReActState, inputs: Any, options: Mapping[str, Any]) -> Prediction:
    """DSPy's ``ReAct.aforward``: :func:`steps` driven with async predictor calls, tools through ``acall``."""
    loop, value, error = steps(state, inputs, options), None, None
    while True:
        ask = advance(loop, value, error)
        value = error = None
        if ask[0] is PREDICT:
            try:
                value = await _aexecute(*ask[1:])
            except Exception as exc:  # noqa: BLE001 - the loop decides (thrown back into it)
                error = exc
        elif ask[0] is TOOL:
            value = await aobserve(state.tools, ask[1], ask[2])
        else:
            return ask[1]
