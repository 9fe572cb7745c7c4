"""predict and chain_of_thought end to end through the dspy backend, with a scripted LM."""

from __future__ import annotations

import asyncio

import dspy
import pytest
from dspy_helpers import PlainLM, chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM


def test_predict_returns_the_parsed_outputs_and_calls_the_configured_object():
    lm = RecordingLM([chat(answer="Paris")])
    dspex.configure(lm=lm)
    ref = dspex.Predict.create("question -> answer", implementation="dspy")
    pred = ref(question="Capital of France?")
    assert isinstance(pred, dspex.Prediction)
    assert pred.answer == "Paris" and pred["answer"] == "Paris"
    assert ref.backend == "dspy" and ref.handle.startswith("dspy-predict-")
    assert lm.call_count == 1
    assert lm.calls[0].settings == {}  # CustomLM adds no default temperature / max_tokens


def test_predict_sends_exactly_the_messages_plain_dspy_sends():
    sig = "question: str, context: list[str] -> answer: int"
    lm = RecordingLM([chat(answer="42")])
    ref = dspy_ref("predict", sig, lm=lm, instructions="Answer with a number.")
    pred = ref(question="q?", context=["a", "b"])
    assert pred.answer == 42 and type(pred.answer) is int

    plain = PlainLM([chat(answer="42")])
    program = dspy.Predict(dspy.Signature(sig, "Answer with a number."))
    with dspy.context(lm=plain):
        expected = program(question="q?", context=["a", "b"])
    assert expected.answer == 42
    assert lm.calls[0].messages == plain.messages[0]


def test_chain_of_thought_puts_reasoning_first():
    lm = RecordingLM([chat(reasoning="Because it is.", answer="Paris")])
    ref = dspex.ChainOfThought.create("question -> answer", implementation="dspy", lm=lm)
    pred = ref(question="Capital of France?")
    assert list(pred.keys()) == ["reasoning", "answer"]
    assert pred.reasoning == "Because it is."
    assert "reasoning" in lm.calls[0].messages[0]["content"]


def test_demos_at_create_and_per_call_reach_the_prompt():
    lm = RecordingLM(chat(answer="x"))
    demos = [dspex.Example(question="2+2?", answer="4")]
    ref = dspy_ref("predict", "question -> answer", lm=lm, demos=demos)
    ref(question="3+3?")
    assert any("2+2?" in m["content"] for m in lm.calls[0].messages)
    ref(question="3+3?", demos=[{"question": "5+5?", "answer": "10"}])
    text = "".join(m["content"] for m in lm.calls[1].messages)
    assert "5+5?" in text and "2+2?" not in text
    assert ref.describe()["demos"][0]["question"] == "2+2?"


def test_lm_settings_from_create_and_config_per_call():
    lm = RecordingLM(chat(answer="x"))
    ref = dspy_ref("predict", "question -> answer", lm=lm, temperature=0.3, max_tokens=50)
    ref(question="q")
    assert lm.calls[0].settings == {"temperature": 0.3, "max_tokens": 50}
    ref(question="q", config={"temperature": 0.9})
    assert lm.calls[1].settings["temperature"] == 0.9


def test_n_greater_than_one_keeps_every_completion():
    lm = RecordingLM([chat(answer="a"), chat(answer="b"), chat(answer="c")])
    ref = dspy_ref("predict", "question -> answer", lm=lm, n=3)
    pred = ref(question="q")
    assert pred.answer == "a"
    assert [c["answer"] for c in pred.completions] == ["a", "b", "c"]
    assert lm.calls[0].settings["n"] == 3


def test_lm_resolution_order_call_then_create_then_configured():
    configured, created, per_call = (RecordingLM(chat(answer=x)) for x in ("configured", "created", "call"))
    dspex.configure(lm=configured)
    plain = dspy_ref("predict", "question -> answer")
    with_lm = dspy_ref("predict", "question -> answer", lm=created)
    assert plain(question="q").answer == "configured"
    assert with_lm(question="q").answer == "created"
    assert with_lm(question="q", lm=per_call).answer == "call"


def test_json_adapter_option():
    lm = RecordingLM(['{"answer": "Paris"}'])
    ref = dspy_ref("predict", "question -> answer", lm=lm, adapter="json")
    assert ref(question="q").answer == "Paris"
    assert "json" in lm.calls[0].messages[0]["content"].lower()


def test_class_based_signature_with_descriptions_reaches_the_prompt():
    class QA(dspex.Signature):
        """Answer with one word."""

        question: str = dspex.InputField(desc="a trivia question")
        answer: str = dspex.OutputField(desc="one word")

    lm = RecordingLM(chat(answer="Paris"))
    ref = dspy_ref("predict", QA, lm=lm)
    assert ref(question="q").answer == "Paris"
    system = lm.calls[0].messages[0]["content"]
    assert "a trivia question" in system and "one word" in system and "Answer with one word." in system


def test_async_execute_uses_the_objects_acall():
    class AsyncOnly(RecordingLM):
        async_calls = 0

        async def acall(self, messages, **settings):
            type(self).async_calls += 1
            return self(messages, **settings)

    lm = AsyncOnly(chat(answer="async"))
    ref = dspy_ref("predict", "question -> answer", lm=lm)
    pred = asyncio.run(ref.acall(question="q"))
    assert pred.answer == "async" and AsyncOnly.async_calls == 1


def test_unparseable_reply_fails_with_dspys_adapter_error_after_the_json_fallback():
    lm = RecordingLM("no fields here")
    ref = dspy_ref("predict", "question -> answer", lm=lm)
    with pytest.raises(dspex.AdapterParseError) as info:
        ref(question="q")
    assert "answer" in str(info.value)
    assert info.value.raw == "no fields here"
    assert lm.call_count == 2  # ChatAdapter, then its JSONAdapter fallback
