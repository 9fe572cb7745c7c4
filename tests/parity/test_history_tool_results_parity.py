"""A History whose messages carry tool calls and their results (what DSPy 3.4's ``ReActV2`` keeps),
rendered by native as by dspy 3.4: with the ChatAdapter and the JSONAdapter, with and without native
function calling (``adapter_options``), on custom LMs that can or cannot call functions and reason.
Hypothesis draws the turns (calls with or without ids, results matching them or not, values of
several kinds, errors); the whole first request (messages and settings) is compared."""

from __future__ import annotations

import warnings

import dspy
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_native.modules.predict import implementation as predict
from dspex_native.tools import Tool

warnings.filterwarnings("ignore", module="dspy")

VALUES = st.one_of(st.text("ab ", max_size=4), st.integers(-3, 3), st.dictionaries(st.sampled_from("xy"),
                                                                                   st.integers(0, 2), max_size=2))


def lookup(query: str) -> str:
    """Look a thing up."""
    return query


@st.composite
def turns(draw):
    messages = []
    for index in range(draw(st.integers(1, 3))):
        calls = [{"name": draw(st.sampled_from(["lookup", "submit"])), "args": {"query": draw(st.text("ab", max_size=3))},
                  "id": draw(st.sampled_from([None, f"c{index}_{i}"]))} for i in range(draw(st.integers(1, 2)))]
        value: dict = {"tool_calls": calls}
        if draw(st.booleans()):
            value["tool_call_results"] = [
                {"call_id": call["id"] if draw(st.integers(0, 4)) else "other", "name": call["name"],
                 "value": draw(VALUES), "is_error": draw(st.booleans())} for call in calls]
        message = {"tool_calls": value}
        if index == 0:
            message["question"] = "q0"
        if draw(st.booleans()):
            message["next_thought"] = draw(st.text("xy ", max_size=4))
        messages.append(message)
    return messages


class _Recorder:
    """A custom LM for native: records each request, answers with an unreadable reply."""

    model = "recorder"

    def __init__(self, calls: bool, reasons: bool):
        self.supports_function_calling, self.supports_reasoning, self.seen = calls, reasons, []

    def __call__(self, messages, **settings):
        self.seen.append((messages, settings))
        return ["?"]


def _dspy_lm(calls: bool, reasons: bool):
    class Recorder(dspy.utils.DummyLM):
        supports_function_calling = property(lambda self: calls)
        supports_reasoning = property(lambda self: reasons)

    return Recorder([{"x": "?"}] * 3)


def _signature() -> Signature:
    inputs = {"question": Field("question", "input", str | None, None),
              "history": Field("history", "input", dspex.History, None),
              "tools": Field("tools", "input", list[dspy.Tool], None)}
    outputs = {"next_thought": Field("next_thought", "output", dspy.Reasoning, None),
               "tool_calls": Field("tool_calls", "output", dspy.ToolCalls, None)}
    return Signature._make(inputs, outputs, "Use the tools.")


@settings(max_examples=40, deadline=None)
@given(turns(), st.sampled_from(["chat", "json"]), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from([None, True]))
def test_a_history_of_tool_calls_and_results_is_sent_as_dspy_sends_it(messages, adapter, native, calls, reasons,
                                                                      parallel):
    sig = _signature()
    options = {"use_native_function_calling": native, **({"parallel_tool_calls": parallel} if parallel else {})}
    lm = _Recorder(calls, reasons)
    state = predict.create(sig, adapter=adapter, adapter_options=options)
    try:
        predict.execute(state, {"question": "q1", "history": dspex.History(messages), "tools": [Tool(lookup)]}, lm=lm)
    except Exception:  # noqa: BLE001 - only the first request is compared
        pass
    dspy_lm = _dspy_lm(calls, reasons)
    cls = dspy.ChatAdapter if adapter == "chat" else dspy.JSONAdapter
    with dspy.context(lm=dspy_lm, adapter=cls(use_native_function_calling=native, parallel_tool_calls=parallel)):
        try:
            dspy.Predict(to_dspy_signature(sig))(question="q1", history=dspy.History(messages=messages),
                                                 tools=[dspy.Tool(lookup)])
        except Exception:  # noqa: BLE001
            pass
    assert lm.seen[0][0] == dspy_lm.history[0]["messages"]
    assert lm.seen[0][1] == dspy_lm.history[0]["kwargs"]
