"""The native adapters format prompts byte for byte as dspy 3.4's ChatAdapter and JSONAdapter."""

from __future__ import annotations

import dspy
from hypothesis import given
from hypothesis import strategies as st

from _dspy_oracle import to_dspy_signature
from _strategies_local import demos_for, inputs_for, signatures
from dspex_core import InputError, Signature
from dspex_native.adapters import get_format

ADAPTERS = {"chat": dspy.ChatAdapter, "json": dspy.JSONAdapter}


def native_messages(sig, demos, inputs, adapter):
    fmt = get_format(sig, adapter)
    return [{"role": "system", "content": fmt.system}, *fmt.demo_messages(demos),
            {"role": "user", "content": fmt.user_message(inputs)}]


def dspy_messages(sig, demos, inputs, adapter):
    return ADAPTERS[adapter]().format(to_dspy_signature(sig), [dspy.Example(**d) for d in demos], inputs)


@st.composite
def cases(draw):
    sig = draw(signatures())
    return sig, draw(demos_for(sig)), draw(inputs_for(sig)), draw(st.sampled_from(["chat", "json"]))


def outcome(fn):
    try:
        return fn()
    except (InputError, TypeError):  # native InputError where dspy raises TypeError
        return "input_error"


@given(cases())
def test_messages_are_byte_identical(case):
    sig, demos, inputs, adapter = case
    assert outcome(lambda: native_messages(sig, demos, inputs, adapter)) == \
        outcome(lambda: dspy_messages(sig, demos, inputs, adapter))


def test_system_message_of_a_typed_signature_matches_dspy_exactly():
    sig = Signature("question, passages: list[str] -> answer: int, ok: bool, tags: dict[str, int]",
                    "Answer.\n  Then stop.")
    for adapter in ("chat", "json"):
        assert native_messages(sig, [], {"question": "q", "passages": ["a", "b\nc"]}, adapter) == \
            dspy_messages(sig, [], {"question": "q", "passages": ["a", "b\nc"]}, adapter)


def test_demo_ordering_incomplete_first_and_unusable_dropped():
    sig = Signature("question -> answer")
    demos = [{"question": "full", "answer": "yes"}, {"question": "no answer"}, {"answer": "only output"},
             {"question": "q", "answer": None}]
    for adapter in ("chat", "json"):
        mine = native_messages(sig, demos, {"question": "now"}, adapter)
        assert mine == dspy_messages(sig, demos, {"question": "now"}, adapter)
        assert mine[1]["content"].startswith("This is an example of the task")
