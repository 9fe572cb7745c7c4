"""Native ``react`` against plain ``dspy.ReAct`` and against the dspy backend, whole runs.

Hypothesis draws the case (:mod:`_react_cases`): a signature, tools with annotated arguments,
defaults and docstrings (some fail, one is async, one takes ``**kwargs``, one returns what DSPy
cannot render), ``max_iters`` at create and per call, demos, LM settings, the adapter, the
inputs, and the LM's answers: tool calls with valid, wrong, unknown or missing arguments,
``finish`` early or never, unknown tool names, malformed replies (and DSPy's JSON retry), a
prompt too long for the context window (refused by step count or at given requests: the
trajectory is truncated), a ``ValueError`` from the LM. Every run calls one scripted LM per
side: the requests (messages byte for byte, apart from traceback frames, see
:func:`_react_runs.normalize`; settings), their number and order, and the prediction
(trajectory included, with value types) or the failure must be the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _react_cases import react_cases
from _react_runs import assert_same_run, run_dspy_backend, run_native, run_plain_dspy
from dspex_core import Signature


@given(react_cases())
def test_native_runs_exactly_as_plain_dspy_react(case):
    assert_same_run(run_native(case), run_plain_dspy(case))


@given(react_cases(asynchronous=True))
def test_async_native_runs_exactly_as_plain_dspy_react(case):
    assert_same_run(run_native(case, is_async=True), run_plain_dspy(case, is_async=True))


@given(react_cases(backend=True), st.booleans())
def test_native_runs_exactly_as_the_dspy_backend(case, is_async):
    assert_same_run(run_native(case, is_async=is_async), run_dspy_backend(case, is_async=is_async))


# -- the paths DSPy's loop takes, one by one ------------------------------------------------------

def _case(sig="question -> answer", tools=("add", "fail"), react=(), react_json=(), **script):
    from _react_cases import chat

    spec = dict(react_chat=[chat(**step) if isinstance(step, dict) else step for step in react],
                react_json=list(react_json), extract_chat=[], extract_json=[],
                extract_default={"reasoning": "because", "answer": "42"})
    spec.update(script)
    return {"signature": Signature(sig), "tools": list(tools), "max_iters": 5, "call_max_iters": None, "demos": [],
            "config": {}, "call_config": None, "adapter": "chat", "inputs": {"question": "What is 40 + 2?"},
            "script": spec}


def _step(tool, **args):
    return {"next_thought": f"Use {tool}.", "next_tool_name": tool, "next_tool_args": args}


def _both(case, is_async=False):
    native, reference = run_native(case, is_async), run_plain_dspy(case, is_async)
    assert_same_run(native, reference)
    backend = run_dspy_backend(case, is_async)
    assert_same_run(native, backend)
    return native


@pytest.mark.parametrize("is_async", [False, True])
def test_tools_are_called_with_converted_arguments_and_errors_become_observations(is_async):
    (kind, fields), calls = _both(_case(react=[_step("add", a=40, b=2.0), _step("add", a="x"), _step("fail"),
                                               _step("finish")]), is_async)
    assert kind == "ok" and len(calls) == 5
    trajectory = fields["trajectory"]
    assert trajectory["observation_0"] == 42 and type(trajectory["observation_0"]) is int
    assert trajectory["observation_1"].endswith("ValueError: Arg a is invalid: 'x' is not of type 'integer'")
    assert trajectory["observation_2"].startswith("Execution error in fail: \nTraceback (most recent call last):")
    assert trajectory["observation_2"].endswith("RuntimeError: boom")
    assert trajectory["observation_3"] == "Completed." and fields["answer"] == "42"


def test_an_unknown_tool_name_fails_the_call_after_the_json_retry():
    (kind, fields), calls = _both(_case(react=[_step("nope")], react_json=['{"next_thought": "t", '
                                                                           '"next_tool_name": "nope", '
                                                                           '"next_tool_args": {}}']))
    assert (kind, fields, len(calls)) == ("error", "parse", 2)


def test_an_unknown_tool_name_then_a_valid_json_retry_carries_on():
    (kind, fields), calls = _both(_case(react=[_step("nope")], react_json=[
        '{"next_thought": "t", "next_tool_name": "add", "next_tool_args": {"a": 1}}']))
    assert kind == "ok" and fields["trajectory"]["observation_0"] == 3


def test_max_iters_as_a_call_option_and_zero_iterations():
    case = _case(react=[_step("add", a=1)] * 5)
    case["call_max_iters"] = 2
    (kind, fields), calls = _both(case)
    assert kind == "ok" and len(calls) == 3 and list(fields["trajectory"])[-1] == "observation_1"
    case["call_max_iters"] = 0
    (kind, fields), calls = _both(case)
    assert kind == "ok" and fields["trajectory"] == {} and len(calls) == 1


def test_a_value_error_from_the_lm_ends_the_trajectory_and_the_outputs_are_extracted():
    (kind, fields), calls = _both(_case(react=[_step("add", a=1)], value_error_calls=[2]))
    assert kind == "ok" and len(calls) == 3 and list(fields["trajectory"]) == [
        "thought_0", "tool_name_0", "tool_args_0", "observation_0"]


def test_context_window_truncation_drops_the_oldest_steps_in_place():
    (kind, fields), calls = _both(_case(react=[_step("add", a=i) for i in range(4)], window=2))
    assert kind == "ok"
    assert "thought_0" not in fields["trajectory"] and "thought_3" in fields["trajectory"]


def test_the_extraction_gives_up_after_three_truncations():
    case = _case(react=[_step("add", a=i) for i in range(4)], cwe_calls=[6, 7, 8])
    (kind, fields), calls = _both(case)
    assert (kind, fields, len(calls)) == ("error", "context_window", 8)


def test_a_tool_result_dspy_cannot_render_fails_the_next_request():
    (kind, fields), calls = _both(_case(tools=["numbers"], react=[_step("numbers", count=2)]))
    assert (kind, fields, len(calls)) == ("error", "input_or_type", 1)
