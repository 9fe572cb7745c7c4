"""DSPy's ``ReAct``: an agent loop of a ``react`` predictor choosing tools, then an ``extract``
ChainOfThought answering from the trajectory.

Built as DSPy builds it (the same instructions, signatures, predictor names and trajectory text),
with layer predictors, so prompts, saved state and optimizers see DSPy's program. A prompt that
does not fit (``ContextWindowExceededError``, dspex's or DSPy's) drops the oldest step and is
sent again, up to 3 times.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Literal

import dspex_core
from dspex_core import Prediction

from dspex_compat._adapters import ChatAdapter, FieldInfoWithName
from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._dspy_errors import ContextWindowExceededError, format_error_for_lm
from dspex_compat._fields import InputField, OutputField
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._settings import settings
from dspex_compat._signature import ensure_signature, make_signature
from dspex_compat._tool import Tool

__all__ = ["ReAct"]

logger = logging.getLogger("dspy.predict.react")
#: What a too-long prompt raises: dspex's class (native's LM client) and DSPy's (a subclass of it).
_TOO_LONG = dspex_core.ContextWindowExceededError  # DSPy's class is a subclass of it


def _instructions(signature: Any, tools: dict[str, Tool]) -> str:
    inputs = ", ".join(f"`{k}`" for k in signature.input_fields)
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    instr = [f"{signature.instructions}\n"] if signature.instructions else []
    instr.extend([
        f"You are an Agent. In each episode, you will be given the fields {inputs} as input. And you can see your "
        "past trajectory so far.",
        f"Your goal is to use one or more of the supplied tools to collect any necessary information for producing "
        f"{outputs}.\n",
        "To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also "
        "when finishing the task.",
        "After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n",
        "When writing next_thought, you may reason about the current situation and plan for future steps.",
        "When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n",
    ])
    instr.extend(f"({idx + 1}) {tool}" for idx, tool in enumerate(tools.values()))
    instr.append("When providing `next_tool_args`, the value inside the field must be in JSON format")
    return "\n".join(instr)


class ReAct(Module):
    """Reason and act with tools, then answer (DSPy's ``dspy.ReAct``)."""

    def __init__(self, signature: Any, tools: list[Callable], max_iters: int = 20):
        super().__init__()
        self.signature = signature = ensure_signature(signature)
        self.max_iters = max_iters
        tools = {tool.name: tool for tool in (t if isinstance(t, Tool) else Tool(t) for t in tools)}
        outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
        tools["finish"] = Tool(
            func=lambda: "Completed.", name="finish", args={},
            desc=f"Marks the task as complete. That is, signals that all information for producing the outputs, "
                 f"i.e. {outputs}, are now available to be extracted.")
        react_signature = (
            make_signature({**signature.input_fields}, _instructions(signature, tools))
            .append("trajectory", InputField(), type_=str)
            .append("next_thought", OutputField(), type_=str)
            .append("next_tool_name", OutputField(), type_=Literal[tuple(tools.keys())])
            .append("next_tool_args", OutputField(), type_=dict[str, Any])
        )
        fallback_signature = make_signature({**signature.input_fields, **signature.output_fields},
                                            signature.instructions).append("trajectory", InputField(), type_=str)
        self.tools = tools
        self.react = Predict(react_signature)
        self.extract = ChainOfThought(fallback_signature)

    def _format_trajectory(self, trajectory: dict[str, Any]) -> str:
        """The trajectory as the adapter in effect writes a user message's fields."""
        adapter = settings.adapter or ChatAdapter()
        fields = make_signature(f"{', '.join(trajectory.keys())} -> x").input_fields
        return adapter.format_field_with_value(
            {FieldInfoWithName(name=k, info=field): trajectory[k] for k, field in fields.items()})

    def _step(self, idx: int, pred: Any, trajectory: dict[str, Any]) -> None:
        trajectory[f"thought_{idx}"] = pred.next_thought
        trajectory[f"tool_name_{idx}"] = pred.next_tool_name
        trajectory[f"tool_args_{idx}"] = pred.next_tool_args

    def _failed(self, pred: Any, err: Exception) -> str:
        return f"Execution error in {pred.next_tool_name}: {format_error_for_lm(err, traceback_frames=5)}"

    def forward(self, **input_args: Any) -> Prediction:
        trajectory: dict[str, Any] = {}
        max_iters = input_args.pop("max_iters", self.max_iters)
        for idx in range(max_iters):
            try:
                pred = self._call_with_potential_trajectory_truncation(self.react, trajectory, **input_args)
            except _TOO_LONG as err:
                logger.warning(f"Ending the trajectory: {format_error_for_lm(err, traceback_frames=5)}")
                break
            except ValueError as err:
                logger.warning("Ending the trajectory: Agent failed to select a valid tool: "
                               f"{format_error_for_lm(err, traceback_frames=5)}")
                break
            self._step(idx, pred, trajectory)
            try:
                trajectory[f"observation_{idx}"] = self.tools[pred.next_tool_name](**pred.next_tool_args)
            except Exception as err:  # noqa: BLE001 - the LM is shown the failure
                trajectory[f"observation_{idx}"] = self._failed(pred, err)
            if pred.next_tool_name == "finish":
                break
        extract = self._call_with_potential_trajectory_truncation(self.extract, trajectory, **input_args)
        return Prediction(trajectory=trajectory, **extract)

    async def aforward(self, **input_args: Any) -> Prediction:
        trajectory: dict[str, Any] = {}
        max_iters = input_args.pop("max_iters", self.max_iters)
        for idx in range(max_iters):
            try:
                pred = await self._async_call_with_potential_trajectory_truncation(self.react, trajectory, **input_args)
            except _TOO_LONG as err:
                logger.warning(f"Ending the trajectory: {format_error_for_lm(err, traceback_frames=5)}")
                break
            except ValueError as err:
                logger.warning("Ending the trajectory: Agent failed to select a valid tool: "
                               f"{format_error_for_lm(err, traceback_frames=5)}")
                break
            self._step(idx, pred, trajectory)
            try:
                trajectory[f"observation_{idx}"] = await self.tools[pred.next_tool_name].acall(**pred.next_tool_args)
            except Exception as err:  # noqa: BLE001
                trajectory[f"observation_{idx}"] = self._failed(pred, err)
            if pred.next_tool_name == "finish":
                break
        extract = await self._async_call_with_potential_trajectory_truncation(self.extract, trajectory, **input_args)
        return Prediction(trajectory=trajectory, **extract)

    def _call_with_potential_trajectory_truncation(self, module: Any, trajectory: dict[str, Any],
                                                   **input_args: Any) -> Any:
        last_error = None
        for _ in range(3):
            try:
                return module(**input_args, trajectory=self._format_trajectory(trajectory))
            except _TOO_LONG as err:
                logger.warning("Trajectory exceeded the context window, truncating the oldest tool call information.")
                last_error = err
                trajectory = self.truncate_trajectory(trajectory)
        raise ContextWindowExceededError(
            message="The context window was exceeded even after 3 attempts to truncate the trajectory."
        ) from last_error

    async def _async_call_with_potential_trajectory_truncation(self, module: Any, trajectory: dict[str, Any],
                                                               **input_args: Any) -> Any:
        last_error = None
        for _ in range(3):
            try:
                return await module.acall(**input_args, trajectory=self._format_trajectory(trajectory))
            except _TOO_LONG as err:
                logger.warning("Trajectory exceeded the context window, truncating the oldest tool call information.")
                last_error = err
                trajectory = self.truncate_trajectory(trajectory)
        raise ContextWindowExceededError(
            message="The context window was exceeded even after 3 attempts to truncate the trajectory."
        ) from last_error

    def truncate_trajectory(self, trajectory: dict[str, Any]) -> dict[str, Any]:
        """Drop the oldest tool call (its four entries); override to truncate otherwise."""
        keys = list(trajectory.keys())
        if len(keys) <= 4:
            raise ContextWindowExceededError(
                message="The trajectory is too long so your prompt exceeded the context window, but the trajectory "
                "cannot be truncated because it only has one tool call.")
        for key in keys[:4]:
            trajectory.pop(key)
        return trajectory
