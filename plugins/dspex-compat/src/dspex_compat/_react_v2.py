"""DSPy's ``ReActV2``: an agent whose steps are tool calls and whose trajectory is a History.

Each turn its ``react`` predictor (a layer Predict, so a dspex reference) is asked for
``next_thought`` (``dspy.Reasoning``) and ``tool_calls`` (``dspy.ToolCalls``) given the inputs
(on the first turn only), the ``history`` so far and the ``tools``, ``submit`` among them. The
calls are run, their results kept on the ToolCalls value (``tool_call_results``), and the turn
appended to the history, which the adapter sends as earlier turns with the results (native renders
them as DSPy does). A ``submit`` call ends the loop with its arguments as the outputs; a reply
that cannot be read, an empty reply or ``max_iters`` turns end it with one more call whose
``tool_choice`` asks for ``submit``. The prediction holds the outputs, ``history`` and
``termination_reason``, as DSPy's.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import dspex_core
from dspex_core import History, Prediction, ToolCallResults, ToolCalls

from dspex_compat._dspy_errors import AdapterParseError, ContextWindowExceededError, format_error_for_lm
from dspex_compat._fields import InputField, OutputField
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._signature import ensure_signature, make_signature
from dspex_compat._tool import Tool

__all__ = ["ReActV2"]

logger = logging.getLogger("dspy.predict.react_v2")
#: keys every prediction carries beside the outputs, and inputs the react signature adds
_RESERVED_PREDICTION_KEYS = frozenset({"history", "termination_reason"})
_RESERVED_INPUT_KEYS = frozenset({"history", "tools"})
_FORCE_SUBMIT = {"tool_choice": {"type": "function", "function": {"name": "submit"}}, "reasoning_effort": None}
#: what a too-long prompt raises: dspex's class (native's LM client) and DSPy's (a subclass of it)
_TOO_LONG = dspex_core.ContextWindowExceededError  # DSPy's class is a subclass of it
_PARSE_FAILURES = (AdapterParseError, ValueError)  # as DSPy catches them (dspex's parse error is a ValueError)


def _reserved(names: frozenset, fields: Any) -> str:
    return ", ".join(f"`{name}`" for name in sorted(names.intersection(fields)))


class ReActV2(Module):
    """Interleave reasoning and tool calls until ``submit`` (DSPy's ``dspy.ReActV2``)."""

    def __init__(self, signature: Any, tools: list[Callable | Tool], max_iters: int = 20):
        super().__init__()
        self.signature = ensure_signature(signature)
        self.max_iters = max_iters
        names = _reserved(_RESERVED_PREDICTION_KEYS, self.signature.output_fields)
        if names:
            raise ValueError(f"Output field name(s) {names} are reserved by ReActV2 and attached to every returned "
                             "Prediction. Rename these output fields on your signature.")
        names = _reserved(_RESERVED_INPUT_KEYS, self.signature.input_fields)
        if names:
            raise ValueError(f"Input field name(s) {names} are reserved by ReActV2 for its internal conversation "
                             "history and tool list. Rename these input fields on your signature.")
        user_tools = [tool if isinstance(tool, Tool) else Tool(tool) for tool in tools]
        self.tools = {tool.name: tool for tool in user_tools}
        if "submit" in self.tools:
            raise ValueError("`submit` is reserved by ReActV2 as the final-output tool.")
        self.tools["submit"] = self._make_submit_tool()
        self.react = Predict(self._make_react_signature())

    def _make_submit_tool(self) -> Tool:
        names = list(self.signature.output_fields)

        def submit(**kwargs: Any) -> dict[str, Any]:
            missing = [name for name in names if name not in kwargs]
            if missing:
                raise ValueError(f"Missing required final output field(s): {', '.join(missing)}")
            return {name: kwargs[name] for name in names}

        fields = self.signature.output_fields
        return Tool(submit, name="submit", desc="Submit the final outputs for the task.",
                    args={name: _json_schema(field.annotation) for name, field in fields.items()},
                    arg_types={name: field.annotation for name, field in fields.items()})

    def _make_react_signature(self) -> Any:
        from dspex_compat._types_reasoning import Reasoning

        fields: dict[str, Any] = {
            name: (_optional(field.annotation), InputField(desc=field.json_schema_extra.get("desc")))
            for name, field in self.signature.input_fields.items()
        }
        fields["history"] = (History, InputField())
        fields["tools"] = (list[Tool], InputField())
        fields["next_thought"] = (Reasoning, OutputField())
        fields["tool_calls"] = (ToolCalls, OutputField())
        inputs = ", ".join(f"`{name}`" for name in self.signature.input_fields)
        outputs = ", ".join(f"`{name}`" for name in self.signature.output_fields)
        tool_names = ", ".join(f"`{name}`" for name in self.tools)
        instructions = "\n".join([
            self.signature.instructions,
            f"You are an Agent. Use the supplied tools to produce {outputs} from {inputs}.",
            "Call tools when more information is needed.",
            f"When the final answer is ready, call `submit` with {outputs}.",
            f"The available tools are: {tool_names}.",
        ]).strip()
        return make_signature(fields, instructions)

    # -- the loop -----------------------------------------------------------------------------
    def _start(self, input_args: dict[str, Any]) -> tuple[int, History, dict[str, Any]]:
        max_iters = input_args.pop("max_iters", self.max_iters)
        history = _coerce_history(input_args.pop("history", None))
        pending = {name: input_args[name] for name in self.signature.input_fields if name in input_args}
        return max_iters, history, pending

    def forward(self, **input_args: Any) -> Prediction:
        max_iters, history, pending = self._start(input_args)
        reason = "max_iters"
        for turn in range(max_iters):
            try:
                pred = self.react(history=history, tools=list(self.tools.values()), **pending)
                calls = _coerce_tool_calls(getattr(pred, "tool_calls", None))
            except _TOO_LONG:
                logger.warning("Ending ReActV2 loop after context window exceeded.")
                reason = "context_window_exceeded"
                break
            except _PARSE_FAILURES as err:
                logger.warning("Ending ReActV2 loop after parse failure: %s", format_error_for_lm(err, traceback_frames=5))
                reason = "parse_error"
                break
            if not calls.tool_calls:
                reason = "empty_tool_calls"
                break
            calls = _ensure_tool_call_ids(calls, turn)
            results, final = self._execute_tool_calls(calls)
            self._record(history, pending, pred, calls, results, final)
            pending = {}
            if final is not None:
                return Prediction(**final, history=history, termination_reason="submit")
        return self._forced_submit(history, pending, reason, max_iters)

    async def aforward(self, **input_args: Any) -> Prediction:
        max_iters, history, pending = self._start(input_args)
        reason = "max_iters"
        for turn in range(max_iters):
            try:
                pred = await self.react.acall(history=history, tools=list(self.tools.values()), **pending)
                calls = _coerce_tool_calls(getattr(pred, "tool_calls", None))
            except _TOO_LONG:
                logger.warning("Ending ReActV2 loop after context window exceeded.")
                reason = "context_window_exceeded"
                break
            except _PARSE_FAILURES as err:
                logger.warning("Ending ReActV2 loop after parse failure: %s", format_error_for_lm(err, traceback_frames=5))
                reason = "parse_error"
                break
            if not calls.tool_calls:
                reason = "empty_tool_calls"
                break
            calls = _ensure_tool_call_ids(calls, turn)
            results, final = await self._aexecute_tool_calls(calls)
            self._record(history, pending, pred, calls, results, final)
            pending = {}
            if final is not None:
                return Prediction(**final, history=history, termination_reason="submit")
        return await self._aforced_submit(history, pending, reason, max_iters)

    def _execute_tool_calls(self, calls: ToolCalls) -> tuple[ToolCallResults, dict[str, Any] | None]:
        values, errors, final = [], [], None
        for call in calls.tool_calls:
            if call.name not in self.tools:
                values.append(f"Unknown tool: {call.name}")
                errors.append(True)
                continue
            try:
                value = self.tools[call.name](**(call.args or {}))
            except Exception as err:  # noqa: BLE001 - the LM is shown the failure
                values.append(f"Execution error in {call.name}: {format_error_for_lm(err, traceback_frames=5)}")
                errors.append(True)
                continue
            values.append(value)
            errors.append(False)
            if call.name == "submit" and isinstance(value, dict):
                final = value
        return ToolCallResults.from_tool_calls_and_values(calls, values, errors), final

    async def _aexecute_tool_calls(self, calls: ToolCalls) -> tuple[ToolCallResults, dict[str, Any] | None]:
        values, errors, final = [], [], None
        for call in calls.tool_calls:
            if call.name not in self.tools:
                values.append(f"Unknown tool: {call.name}")
                errors.append(True)
                continue
            try:
                value = await self.tools[call.name].acall(**(call.args or {}))
            except Exception as err:  # noqa: BLE001
                values.append(f"Execution error in {call.name}: {format_error_for_lm(err, traceback_frames=5)}")
                errors.append(True)
                continue
            values.append(value)
            errors.append(False)
            if call.name == "submit" and isinstance(value, dict):
                final = value
        return ToolCallResults.from_tool_calls_and_values(calls, values, errors), final

    def _record(self, history: History, pending: dict[str, Any], pred: Any, calls: ToolCalls,
                results: ToolCallResults, final: dict[str, Any] | None) -> None:
        """Append the turn: its inputs (first turn), thought, calls with their results, outputs."""
        event = dict(pending)
        thought = getattr(pred, "next_thought", None)
        if thought is not None:
            event["next_thought"] = thought
        if calls.tool_calls:
            event["tool_calls"] = ToolCalls(list(calls.tool_calls),
                                            results if results.tool_call_results else None)
        if final is not None:
            event.update(final)
        if event:
            history.messages.append(event)

    # -- the last call, asking for submit ----------------------------------------------------------
    def _forced_result(self, history: History, pending: dict[str, Any], pred: Any, submits: ToolCalls,
                       results: ToolCallResults, final: dict[str, Any] | None, reason: str) -> Prediction:
        self._record(history, pending, pred, submits, results, final)
        if final is not None:
            return Prediction(**final, history=history, termination_reason="forced_submit")
        errors = "\n".join(str(result.value) for result in results.tool_call_results if result.is_error)
        raise ValueError(f"ReActV2 failed to produce final outputs after {reason}: submit failed.\n{errors}")

    def _forced_submit(self, history: History, pending: dict[str, Any], reason: str, turn: int) -> Prediction:
        try:
            pred = self.react(history=history, tools=list(self.tools.values()), config=dict(_FORCE_SUBMIT), **pending)
            calls = _ensure_tool_call_ids(_coerce_tool_calls(getattr(pred, "tool_calls", None)), turn)
        except (*_PARSE_FAILURES, _TOO_LONG) as err:
            logger.warning("Forced submit failed: %s", format_error_for_lm(err, traceback_frames=5))
            raise
        submits = ToolCalls([call for call in calls.tool_calls if call.name == "submit"])
        if not submits.tool_calls:
            raise ValueError(f"ReActV2 failed to produce final outputs after {reason}: no submit call.")
        results, final = self._execute_tool_calls(submits)
        return self._forced_result(history, pending, pred, submits, results, final, reason)

    async def _aforced_submit(self, history: History, pending: dict[str, Any], reason: str, turn: int) -> Prediction:
        try:
            pred = await self.react.acall(history=history, tools=list(self.tools.values()),
                                          config=dict(_FORCE_SUBMIT), **pending)
            calls = _ensure_tool_call_ids(_coerce_tool_calls(getattr(pred, "tool_calls", None)), turn)
        except (*_PARSE_FAILURES, _TOO_LONG) as err:
            logger.warning("Forced submit failed: %s", format_error_for_lm(err, traceback_frames=5))
            raise
        submits = ToolCalls([call for call in calls.tool_calls if call.name == "submit"])
        if not submits.tool_calls:
            raise ValueError(f"ReActV2 failed to produce final outputs after {reason}: no submit call.")
        results, final = await self._aexecute_tool_calls(submits)
        return self._forced_result(history, pending, pred, submits, results, final, reason)


def _json_schema(annotation: Any) -> dict[str, Any]:
    """pydantic's JSON schema of a submit argument's type (a string's, as DSPy, when it has none)."""
    try:
        from pydantic import TypeAdapter

        return TypeAdapter(annotation).json_schema()
    except Exception:  # noqa: BLE001 - DSPy's fallback for any type pydantic cannot describe
        return {"type": "string"}


def _optional(annotation: Any) -> Any:
    """``annotation | None`` (an input is given on the first turn only)."""
    import typing

    if type(None) in typing.get_args(annotation):
        return annotation
    try:
        return annotation | None
    except TypeError:
        return annotation


def _coerce_history(history: Any) -> History:
    if history is None:
        return History(messages=[])
    if isinstance(history, History):
        return history
    if isinstance(history, dict) and set(history) == {"messages"}:
        return History(messages=history["messages"])
    raise ValueError(f"ReActV2's history must be a dspy.History or {{'messages': [...]}}, got {history!r}")


def _coerce_tool_calls(tool_calls: Any) -> ToolCalls:
    return ToolCalls([]) if tool_calls is None else ToolCalls.of(tool_calls)


def _ensure_tool_call_ids(calls: ToolCalls, turn: int) -> ToolCalls:
    """Each call with an id: the provider's, else ``call_<turn>_<index>``."""
    ensured = []
    for index, call in enumerate(calls.tool_calls):
        if call.id is None:
            call = type(call)(call.name, call.args, f"call_{turn}_{index}")
        ensured.append(call)
    return ToolCalls(ensured)
