"""The native react module type, without dspy installed: the requests and the loop.

The golden prompts below are what dspy 3.4.1's ``ReAct`` sends for the same agent (checked
against dspy itself in tests/parity/test_react_parity.py); the rest covers the loop (tools,
finish, max_iters, errors as observations, truncation when the context window is exceeded) and
async. The options' checks are in test_react_options.py, the facade and saved states in
test_react_saved.py, the tools in test_react_tools.py.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from _react_helpers import ANSWER, add, fail, ping, step
from dspex_core.errors import AdapterParseError, ContextWindowExceededError, LMError
from dspex_core.testing import RecordingLM
from dspex_native.modules.react import implementation as react
from dspex_native.tools import Tool

GOLDEN_REACT_SYSTEM = (
    "Your input fields are:\n"
    "1. `question` (str): \n"
    "2. `trajectory` (str):\n"
    "Your output fields are:\n"
    "1. `next_thought` (str): \n"
    "2. `next_tool_name` (Literal['add', 'finish']): \n"
    "3. `next_tool_args` (dict[str, Any]):\n"
    "All interactions will be structured in the following way, with the appropriate values filled in.\n"
    "\n"
    "[[ ## question ## ]]\n"
    "{question}\n"
    "\n"
    "[[ ## trajectory ## ]]\n"
    "{trajectory}\n"
    "\n"
    "[[ ## next_thought ## ]]\n"
    "{next_thought}\n"
    "\n"
    "[[ ## next_tool_name ## ]]\n"
    "{next_tool_name}        # note: the value you produce must exactly match (no extra characters) one of: add; finish\n"
    "\n"
    "[[ ## next_tool_args ## ]]\n"
    "{next_tool_args}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": true}\n"
    "\n"
    "[[ ## completed ## ]]\n"
    "In adhering to this structure, your objective is: \n"
    "        Given the fields `question`, produce the fields `answer`.\n"
    "        \n"
    "        You are an Agent. In each episode, you will be given the fields `question` as input. And you can see your past trajectory so far.\n"
    "        Your goal is to use one or more of the supplied tools to collect any necessary information for producing `answer`.\n"
    "        \n"
    "        To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when finishing the task.\n"
    "        After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n"
    "        \n"
    "        When writing next_thought, you may reason about the current situation and plan for future steps.\n"
    "        When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n"
    "        \n"
    # the raw docstring, newlines as two spaces (as dspy.Tool shows it; Python 3.13 dedents docstrings)
    "        (1) add, whose description is <desc>" + add.__doc__.replace("\n", "  ") + "</desc>. It takes arguments {'a': {'type': 'integer'}, 'b': {'type': 'integer', 'default': 2}}.\n"
    "        (2) finish, whose description is <desc>Marks the task as complete. That is, signals that all information for producing the outputs, i.e. `answer`, are now available to be extracted.</desc>. It takes arguments {}.\n"
    "        When providing `next_tool_args`, the value inside the field must be in JSON format"
)
GOLDEN_REACT_USER_AFTER_ONE_STEP = (
    "[[ ## question ## ]]\n"
    "What is 40 + 2?\n"
    "\n"
    "[[ ## trajectory ## ]]\n"
    "[[ ## thought_0 ## ]]\n"
    "Add them.\n"
    "\n"
    "[[ ## tool_name_0 ## ]]\n"
    "add\n"
    "\n"
    "[[ ## tool_args_0 ## ]]\n"
    "{\"a\": 40}\n"
    "\n"
    "[[ ## observation_0 ## ]]\n"
    "42\n"
    "\n"
    "Respond with the corresponding output fields, starting with the field `[[ ## next_thought ## ]]`, then `[[ ## next_tool_name ## ]]` (must be formatted as a valid Python Literal['add', 'finish']), then `[[ ## next_tool_args ## ]]` (must be formatted as a valid Python dict[str, Any]), and then ending with the marker for `[[ ## completed ## ]]`."
)
GOLDEN_EXTRACT_SYSTEM = (
    "Your input fields are:\n"
    "1. `question` (str): \n"
    "2. `trajectory` (str):\n"
    "Your output fields are:\n"
    "1. `reasoning` (str): \n"
    "2. `answer` (int):\n"
    "All interactions will be structured in the following way, with the appropriate values filled in.\n"
    "\n"
    "[[ ## question ## ]]\n"
    "{question}\n"
    "\n"
    "[[ ## trajectory ## ]]\n"
    "{trajectory}\n"
    "\n"
    "[[ ## reasoning ## ]]\n"
    "{reasoning}\n"
    "\n"
    "[[ ## answer ## ]]\n"
    "{answer}        # note: the value you produce must be a single int value\n"
    "\n"
    "[[ ## completed ## ]]\n"
    "In adhering to this structure, your objective is: \n"
    "        Given the fields `question`, produce the fields `answer`."
)
GOLDEN_EXTRACT_USER = (
    "[[ ## question ## ]]\n"
    "What is 40 + 2?\n"
    "\n"
    "[[ ## trajectory ## ]]\n"
    "[[ ## thought_0 ## ]]\n"
    "Add them.\n"
    "\n"
    "[[ ## tool_name_0 ## ]]\n"
    "add\n"
    "\n"
    "[[ ## tool_args_0 ## ]]\n"
    "{\"a\": 40}\n"
    "\n"
    "[[ ## observation_0 ## ]]\n"
    "42\n"
    "\n"
    "[[ ## thought_1 ## ]]\n"
    "Done.\n"
    "\n"
    "[[ ## tool_name_1 ## ]]\n"
    "finish\n"
    "\n"
    "[[ ## tool_args_1 ## ]]\n"
    "{}\n"
    "\n"
    "[[ ## observation_1 ## ]]\n"
    "Completed.\n"
    "\n"
    "Respond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]` (must be formatted as a valid Python int), and then ending with the marker for `[[ ## completed ## ]]`."
)


# -- the requests ------------------------------------------------------------------------------

def test_the_requests_are_dspys():
    lm = RecordingLM([step("add", "Add them.", a=40), step("finish", "Done."), ANSWER])
    state = react.create("question -> answer: int", tools=[add], max_iters=3)
    pred = react.execute(state, {"question": "What is 40 + 2?"}, lm=lm)
    assert [len(c.messages) for c in lm.calls] == [2, 2, 2]
    assert lm.calls[0].messages[0]["content"] == GOLDEN_REACT_SYSTEM
    assert lm.calls[1].messages[0]["content"] == GOLDEN_REACT_SYSTEM
    assert lm.calls[1].messages[1]["content"] == GOLDEN_REACT_USER_AFTER_ONE_STEP
    assert lm.calls[2].messages[0]["content"] == GOLDEN_EXTRACT_SYSTEM
    assert lm.calls[2].messages[1]["content"] == GOLDEN_EXTRACT_USER
    assert all(c.settings == {} for c in lm.calls)
    assert list(pred.keys()) == ["trajectory", "reasoning", "answer"]
    assert pred.answer == 42 and pred.reasoning == "40 + 2 = 42"
    assert pred.trajectory == {"thought_0": "Add them.", "tool_name_0": "add", "tool_args_0": {"a": 40},
                               "observation_0": 42, "thought_1": "Done.", "tool_name_1": "finish", "tool_args_1": {},
                               "observation_1": "Completed."}


def test_create_settings_and_call_config_reach_both_predictors():
    lm = RecordingLM([step("finish"), ANSWER])
    state = react.create("question -> answer", tools=[add], temperature=0.3, config={"max_tokens": 99})
    react.execute(state, {"question": "q"}, lm=lm, config={"temperature": 0.9})
    assert [c.settings for c in lm.calls] == [{"temperature": 0.9, "max_tokens": 99}] * 2


def test_demos_go_to_both_predictors_and_instructions_replace_the_signatures():
    lm = RecordingLM([step("finish"), ANSWER])
    state = react.create("question -> answer", tools=[], instructions="Answer like a pirate.",
                         demos=[{"question": "Q1", "answer": "A1"}])
    react.execute(state, {"question": "q"}, lm=lm)
    react_call, extract_call = lm.calls
    assert "Answer like a pirate.\n        \n        You are an Agent." in react_call.messages[0]["content"]
    assert extract_call.messages[0]["content"].endswith("your objective is: \n        Answer like a pirate.")
    # The demo has no next_* field: the react predictor skips it; extract shows it as incomplete.
    assert len(react_call.messages) == 2 and len(extract_call.messages) == 4
    assert "This is an example of the task" in extract_call.messages[1]["content"]


def test_a_tool_given_as_a_tool_object_keeps_its_name_description_and_schema():
    tool = Tool(lambda city: f"sunny in {city}", name="weather", desc="The weather.",
                args={"city": {"type": "string"}}, arg_types={"city": str})
    lm = RecordingLM([step("weather", city="Oslo"), step("finish"), ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[tool]), {"question": "q"}, lm=lm)
    assert ("(1) weather, whose description is <desc>The weather.</desc>. It takes arguments "
            "{'city': {'type': 'string'}}.") in lm.calls[0].messages[0]["content"]
    assert pred.trajectory["observation_0"] == "sunny in Oslo"


# -- the loop ----------------------------------------------------------------------------------

def test_tool_errors_and_invalid_arguments_become_observations_and_the_loop_goes_on():
    lm = RecordingLM([step("add", a="x"), step("fail", reason="no luck"), step("add", a=1, c=2), step("finish"),
                      ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[add, fail]), {"question": "q"}, lm=lm)
    observations = [v for k, v in pred.trajectory.items() if k.startswith("observation_")]
    assert observations[0].startswith("Execution error in add: \nTraceback (most recent call last):\n")
    assert observations[0].endswith("\nValueError: Arg a is invalid: 'x' is not of type 'integer'")
    assert observations[1].endswith("\nRuntimeError: no luck") and "in fail" in observations[1]
    assert observations[2].endswith("\nValueError: Arg c is not in the tool's args.")
    assert observations[3] == "Completed."
    assert "RuntimeError: no luck" in lm.calls[4].messages[1]["content"]


def test_arguments_are_converted_to_the_annotated_types():
    seen = []

    def record(x: float, items: list[int], flag: bool = False) -> str:
        seen.append((x, items, flag))
        return "ok"

    lm = RecordingLM([step("record", x=3, items=[1.0, 2], flag=True), step("finish"), ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[record]), {"question": "q"}, lm=lm)
    assert seen == [(3.0, [1, 2], True)] and type(seen[0][0]) is float and type(seen[0][1][0]) is int
    assert pred.trajectory["tool_args_0"] == {"x": 3, "items": [1.0, 2], "flag": True}  # as the LM wrote them


def test_max_iters_bounds_the_loop_at_create_and_per_call():
    lm = RecordingLM([step("add", a=1), step("add", a=2), ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[add], max_iters=2), {"question": "q"}, lm=lm)
    assert len(lm.calls) == 3 and len(pred.trajectory) == 8
    lm = RecordingLM([ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[add], max_iters=2), {"question": "q"}, lm=lm,
                         max_iters=0)
    assert len(lm.calls) == 1 and pred.trajectory == {}


def test_finish_with_arguments_is_an_error_observation_and_still_ends_the_loop():
    lm = RecordingLM([step("finish", answer="x"), ANSWER])
    pred = react.execute(react.create("question -> answer", tools=[]), {"question": "q"}, lm=lm)
    assert pred.trajectory["observation_0"].endswith("ValueError: Arg answer is not in the tool's args.")
    assert len(lm.calls) == 2


def test_an_unknown_tool_fails_the_call_after_dspys_json_retry():
    lm = RecordingLM([step("nope"), json.dumps({"next_thought": "t", "next_tool_name": "nope", "next_tool_args": {}})])
    with pytest.raises(AdapterParseError) as info:
        react.execute(react.create("question -> answer", tools=[add]), {"question": "q"}, lm=lm)
    assert info.value.lm_calls == 2 and "nope" in info.value.raw


def test_a_value_error_from_the_lm_ends_the_trajectory(caplog):
    calls = []

    def lm(messages, **settings):
        calls.append(messages)
        if len(calls) == 2:
            raise ValueError("the LM is confused")
        return [step("add", a=1)] if len(calls) == 1 else [ANSWER]

    with caplog.at_level(logging.WARNING, logger="dspex_native.react"):
        pred = react.execute(react.create("question -> answer", tools=[add]), {"question": "q"}, lm=lm)
    assert len(calls) == 3 and list(pred.trajectory) == ["thought_0", "tool_name_0", "tool_args_0", "observation_0"]
    assert "Ending the trajectory: Agent failed to select a valid tool: " in caplog.text
    assert "ValueError: the LM is confused" in caplog.text


class WindowLM:
    """Refuses prompts holding more than ``limit`` steps, as a provider refuses a prompt that is too long."""

    def __init__(self, replies: list[str], limit: int | None = None, refuse: tuple = ()):
        self.replies = list(replies)
        self.limit = limit
        self.refuse = set(refuse)
        self.calls: list[str] = []

    def __call__(self, messages, **settings):
        self.calls.append(messages[-1]["content"])
        steps = messages[-1]["content"].count("[[ ## thought_")
        if len(self.calls) in self.refuse or (self.limit is not None and steps > self.limit):
            raise ContextWindowExceededError(f"too long: {steps} steps", model="window-lm")
        return [self.replies.pop(0)]


def test_the_oldest_step_is_dropped_when_the_prompt_does_not_fit():
    lm = WindowLM([step("add", a=i) for i in range(3)] + [step("finish"), ANSWER], limit=2)
    pred = react.execute(react.create("question -> answer", tools=[add]), {"question": "q"}, lm=lm)
    # The fourth react request (three steps) is refused: step 0 goes and the retry fits; it
    # finishes. The extraction (three steps) is refused: step 1 goes too. DSPy drops them from
    # the trajectory itself, so the prediction keeps steps 2 and 3 only.
    assert [c.count("[[ ## thought_") for c in lm.calls] == [0, 1, 2, 3, 2, 3, 2]
    assert list(pred.trajectory) == [f"{key}_{i}" for i in (2, 3) for key in ("thought", "tool_name", "tool_args",
                                                                            "observation")]


def test_a_single_step_that_does_not_fit_ends_the_trajectory_and_the_extraction_fails():
    lm = WindowLM([step("add", a=1), ANSWER], limit=0)
    with pytest.raises(ContextWindowExceededError, match="cannot be truncated because it only has one tool call"):
        react.execute(react.create("question -> answer", tools=[add]), {"question": "q"}, lm=lm)
    assert len(lm.calls) == 3


def test_the_extraction_gives_up_after_three_attempts():
    lm = WindowLM([step("add", a=i) for i in range(4)] + [step("finish")], refuse=(6, 7, 8))
    with pytest.raises(ContextWindowExceededError, match="even after 3 attempts to truncate") as info:
        react.execute(react.create("question -> answer", tools=[add], max_iters=5), {"question": "q"}, lm=lm)
    assert isinstance(info.value, LMError) and isinstance(info.value.__cause__, ContextWindowExceededError)
    assert len(lm.calls) == 8


# -- async ---------------------------------------------------------------------------------------

def test_aexecute_awaits_async_tools_and_sync_calls_refuse_them_as_dspy_does():
    replies = [step("ping", host="h"), step("finish"), ANSWER]
    state = react.create("question -> answer", tools=[ping, add])
    pred = asyncio.run(react.aexecute(state, {"question": "q"}, lm=RecordingLM(list(replies))))
    assert pred.trajectory["observation_0"] == "pong h"
    pred = react.execute(state, {"question": "q"}, lm=RecordingLM(list(replies)))
    assert pred.trajectory["observation_0"].endswith(
        "ValueError: You are calling `__call__` on an async tool, please use `acall` instead or enable async-to-sync "
        "conversion with `dspy.configure(allow_tool_async_sync_conversion=True)` or "
        "`with dspy.context(allow_tool_async_sync_conversion=True):`.")


def test_async_runs_make_the_same_requests_as_sync_runs():
    replies = [step("add", a=1), step("fail"), step("finish"), ANSWER]
    state = react.create("question -> answer", tools=[add, fail])
    sync_lm, async_lm = RecordingLM(list(replies)), RecordingLM(list(replies))
    react.execute(state, {"question": "q"}, lm=sync_lm)
    asyncio.run(react.aexecute(state, {"question": "q"}, lm=async_lm))
    assert [c.messages[0] for c in sync_lm.calls] == [c.messages[0] for c in async_lm.calls]
    assert len(sync_lm.calls) == len(async_lm.calls) == 4
