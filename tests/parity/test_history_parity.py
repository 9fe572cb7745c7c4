"""A ``History`` input field on native against dspy 3.4: the earlier turns sent as DSPy sends
them (user and assistant messages between the demos and the current request, on the chat, JSON
and XML adapters), whole requests and predictions equal; ``dspex.History`` on the dspy backend
is ``dspy.History``, and native takes dspy's own class and values too."""

from __future__ import annotations

import dspy
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import assert_same_run, run_dspy, run_native
from _strategies_local import chat_replies, demos_for, inputs_for, json_replies, signatures, values_of
from _strategies_xml import xml_replies
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing import RecordingLM

REPLIES = {"chat": chat_replies, "json": json_replies, "xml": xml_replies}


@st.composite
def history_runs(draw):
    plain = draw(signatures(exclude=("history",)))
    inputs = list(plain.input_fields.items())
    inputs.insert(draw(st.integers(0, len(inputs))), ("history", Field("history", "input", dspex.History, None)))
    sig = Signature._make(dict(inputs), dict(plain.output_fields), plain.instructions)
    fields = list(plain.fields)
    messages = []
    for _ in range(draw(st.integers(0, 3))):
        names = draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
        messages.append({n: draw(values_of(plain.fields[n].annotation)) for n in names})
    call_inputs = draw(inputs_for(plain, allow_missing=False))
    if draw(st.integers(0, 9)):  # else left out: an InputError on both backends
        call_inputs["history"] = dspex.History(messages=messages)
    adapter = draw(st.sampled_from(["chat", "json", "xml"]))
    replies = [draw(REPLIES[adapter](plain)), draw(json_replies(plain))]
    return sig, dict(demos=draw(demos_for(plain)), inputs=call_inputs, replies=replies, adapter=adapter)


@settings(max_examples=40)
@given(history_runs())
def test_history_runs_exactly_as_dspy(case):
    sig, kwargs = case
    assert_same_run(run_native(sig, **kwargs), run_dspy(sig, **kwargs))


class Chat(dspex.Signature):
    """Answer the question, keeping to the conversation."""

    question: str = dspex.InputField()
    history: dspex.History = dspex.InputField()
    answer: str = dspex.OutputField()


HISTORY = [{"question": "Capital of France?", "answer": "Paris"}, {"question": "And of Italy?"},
           {"answer": "Rome"}]
REPLY = "[[ ## answer ## ]]\nBerlin\n\n[[ ## completed ## ]]"


def test_earlier_turns_become_user_and_assistant_messages_on_both_backends():
    requests = {}
    for backend in ("native", "dspy"):
        lm = RecordingLM([REPLY])
        ref = dspex.create("predict", Chat, implementation=backend, lm=lm)
        assert ref(question="And of Germany?", history=dspex.History(messages=HISTORY)).answer == "Berlin"
        requests[backend] = lm.calls[0].messages
    assert requests["native"] == requests["dspy"]
    roles = [m["role"] for m in requests["native"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "assistant", "user"]
    assert requests["native"][4]["content"] == "[[ ## answer ## ]]\nNone\n\n[[ ## completed ## ]]\n"


def test_native_takes_dspy_history_annotations_and_values():
    class DspyChat(dspex.Signature):
        question: str = dspex.InputField()
        history: dspy.History = dspex.InputField()
        answer: str = dspex.OutputField()

    native, plain = RecordingLM([REPLY]), RecordingLM([REPLY])
    ref = dspex.create("predict", DspyChat, implementation="native", lm=native)
    ref(question="And of Germany?", history=dspy.History(messages=HISTORY))
    run_dspy(Signature._make(dict(DspyChat.input_fields), dict(DspyChat.output_fields), DspyChat.instructions),
             inputs={"question": "And of Germany?", "history": dspy.History(messages=HISTORY)}, replies=[REPLY])
    reference = run_dspy(Chat, inputs={"question": "And of Germany?", "history": dspex.History(messages=HISTORY)},
                         replies=[REPLY])[1][0].messages
    assert native.calls[0].messages[1:] == reference[1:]
    assert native.calls[0].messages[0]["content"].startswith("Your input fields are:\n1. `question` (str): \n"
                                                             "2. `history` (History):")
