"""Programs saved through dspex load in plain dspy and the other way round (dspy's JSON format)."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy_helpers import PlainLM, chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_dspy.programs import load_program, load_ref


def test_saved_in_dspex_loads_in_plain_dspy_and_sends_the_same_messages(tmp_path):
    demos = [dspex.Example(question="2+2?", answer="4"), dspex.Example(question="Capital of Italy?", answer="Rome")]
    lm = RecordingLM([chat(reasoning="r", answer="Paris")])
    ref = dspy_ref("chain_of_thought", "question -> answer", lm=lm, demos=demos,
                   instructions="Answer in one word.")
    ref(question="Capital of France?")
    path = tmp_path / "program.json"
    ref.save(path)
    saved = json.loads(path.read_text())
    assert "sk-" not in path.read_text() and saved["predict"]["lm"] is None

    plain_program = dspy.ChainOfThought("question -> answer")
    plain_program.load(str(path))
    plain = PlainLM([chat(reasoning="r", answer="Paris")])
    with dspy.context(lm=plain):
        assert plain_program(question="Capital of France?").answer == "Paris"
    assert plain.messages[0] == lm.calls[0].messages


def test_saved_by_plain_dspy_loads_in_dspex_and_sends_the_same_messages(tmp_path):
    program = dspy.Predict(dspy.Signature("question -> answer", "Answer tersely."))
    program.demos = [dspy.Example(question="1+1?", answer="2")]
    path = tmp_path / "plain.json"
    program.save(str(path))
    plain = PlainLM([chat(answer="3")])
    with dspy.context(lm=plain):
        program(question="1+2?")

    lm = RecordingLM([chat(answer="3")])
    ref = load_ref(path, "predict", "question -> answer", lm=lm)
    assert isinstance(ref, dspex.ModuleRef) and ref.backend == "dspy"
    assert ref(question="1+2?").answer == "3"
    assert lm.calls[0].messages == plain.messages[0]
    described = ref.describe()
    assert described["instructions"] == "Answer tersely." and described["demos"][0]["answer"] == "2"


def test_load_program_returns_a_stored_module_id(tmp_path):
    path = tmp_path / "p.json"
    dspy.Predict("question -> answer").save(str(path))
    module_id = load_program(path, "predict", "question -> answer")
    assert module_id.startswith("dspy-predict-")


def _length(text: str) -> int:
    """The length of a text (a builtin such as len cannot be a tool: tools are called by keyword)."""
    return len(text)


def test_save_and_load_errors_name_the_problem(tmp_path):
    ref = dspy_ref("predict", "question -> answer")
    with pytest.raises(dspex.InputError, match=r"\.json"):
        ref.save(tmp_path / "program.pkl")
    with pytest.raises(dspex.InputError, match="does not exist"):
        ref.save(tmp_path / "missing" / "program.json")
    with pytest.raises(dspex.InputError, match="no such file"):
        load_program(tmp_path / "nothing.json", "predict", "question -> answer")
    cot_path = tmp_path / "cot.json"
    dspy.ChainOfThought("question -> answer").save(str(cot_path))
    with pytest.raises(dspex.InputError, match="does not fit"):
        load_program(cot_path, "react", "question -> answer", tools=[_length])


def test_a_program_compiled_through_dspex_saves_and_loads_in_plain_dspy(tmp_path):
    lm = RecordingLM([chat(answer="a9")])
    program = dspy_ref("predict", "question -> answer", lm=lm)
    trainset = [dspex.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question") for i in range(4)]
    compiled = dspex.compile(dspex.LabeledFewShot.create(k=3, implementation="dspy"), program, trainset=trainset)
    compiled(question="q9")
    path = tmp_path / "compiled.json"
    compiled.save(path)

    plain_program = dspy.Predict("question -> answer")
    plain_program.load(str(path))
    assert len(plain_program.demos) == 3
    plain = PlainLM([chat(answer="a9")])
    with dspy.context(lm=plain):
        plain_program(question="q9")
    assert plain.messages[0] == lm.calls[0].messages
    assert any("q0" in m["content"] or "q1" in m["content"] for m in plain.messages[0])
