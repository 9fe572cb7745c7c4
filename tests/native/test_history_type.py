"""``dspex.History`` and how native sends a History input: DSPy's earlier turns, before the request."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError
from dspex_core.testing import RecordingLM

REPLY = "[[ ## answer ## ]]\nBerlin\n\n[[ ## completed ## ]]"


class Chat(dspex.Signature):
    question: str = dspex.InputField()
    history: dspex.History = dspex.InputField()
    answer: str = dspex.OutputField()


def test_history_is_frozen_checked_and_strips_its_keys():
    history = dspex.History(messages=[{" question ": "q", "answer": " a "}])
    assert history.messages == [{"question": "q", "answer": " a "}]  # keys stripped, values kept
    assert history == dspex.History([{"question": "q", "answer": " a "}])
    assert history.toDict() == {"messages": [{"question": "q", "answer": " a "}]}
    with pytest.raises(AttributeError, match="frozen"):
        history.messages = []
    with pytest.raises(InputError, match="list of dicts"):
        dspex.History(messages="hi")
    with pytest.raises(InputError, match=r"messages\[1\] must be a dict"):
        dspex.History(messages=[{}, "hi"])


def test_history_of_takes_objects_with_a_messages_list():
    class Foreign:  # what a dspy.History looks like
        messages = [{"question": "q"}]

    assert dspex.History.of(Foreign()) == dspex.History([{"question": "q"}])
    with pytest.raises(InputError, match="a History field takes"):
        dspex.History.of([{"question": "q"}])


def _messages(**inputs):
    lm = RecordingLM([REPLY])
    dspex.create("predict", Chat, implementation="native", lm=lm)(**inputs)
    return lm.calls[0].messages


def test_each_turn_is_a_user_then_an_assistant_message_before_the_request():
    history = dspex.History([{"question": "Capital of France?", "answer": "Paris"}, {"answer": "Rome"}])
    messages = _messages(question="And of Germany?", history=history)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "assistant", "user"]
    assert "2. `history` (History):\n" in messages[0]["content"]  # the system message keeps the field
    assert messages[1]["content"].startswith("[[ ## question ## ]]\nCapital of France?\n\nRespond with")
    assert messages[2]["content"] == "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]\n"
    assert "history" not in messages[-1]["content"]
    assert messages[-1]["content"].startswith("[[ ## question ## ]]\nAnd of Germany?\n\nRespond with")


def test_an_empty_history_adds_nothing_and_a_wrong_value_is_an_input_error():
    assert len(_messages(question="q", history=dspex.History([]))) == 2
    with pytest.raises(InputError, match="a History field takes"):
        _messages(question="q", history=[{"question": "x"}])


def test_tool_calls_in_a_history_message_are_written_as_json_without_native_function_calling():
    history = dspex.History([{"question": "q", "answer": {"tool_calls": [{"name": "f", "args": {}}]}}])
    messages = _messages(question="q", history=history)
    assert messages[2]["content"].startswith('[[ ## answer ## ]]\n{"tool_calls": [{"name": "f", "args": {}}]}')
    with pytest.raises(InputError, match="invalid value for `ToolCalls`"):
        _messages(question="q", history=dspex.History([{"question": "q", "answer": {"tool_calls": 3}}]))


def test_tool_results_in_a_history_message_follow_the_calls_as_a_user_message():
    calls = {"tool_calls": [{"name": "f", "args": {}}], "tool_call_results": [{"name": "f", "value": 1}]}
    history = dspex.History([{"question": "q", "answer": calls}])
    messages = _messages(question="q", history=history)
    assert messages[2]["content"].startswith('[[ ## answer ## ]]\n{"tool_calls": [{"name": "f", "args": {}}]}\n')
    assert messages[3] == {"role": "user", "content": '[[ ## tool_call_results ## ]]\n{"tool_call_results": '
                                                      '[{"call_id": null, "name": "f", "value": 1, "is_error": false}]}'}


def test_history_as_an_output_is_not_native():
    class Out(dspex.Signature):
        question: str = dspex.InputField()
        history: dspex.History = dspex.OutputField()

    with pytest.raises(CapabilityError, match="History"):
        dspex.create("predict", Out, implementation="native")
