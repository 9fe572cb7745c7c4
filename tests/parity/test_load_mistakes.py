"""Loading mistakes on programs saved by real dspy: a ``save_program=True`` directory says how to
save state-only JSON, and a signature whose field names are not the saved program's is an
``InputError`` naming both on both backends (before, the saved descriptions were kept silently,
so the prompt described fields that do not exist)."""

from __future__ import annotations

import warnings

import dspy
import pytest

import dspex_core as dspex

warnings.filterwarnings("ignore")


class QA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.ChainOfThought("question -> answer")

    def forward(self, question):
        return self.answer(question=question)


@pytest.mark.parametrize("implementation", ["native", "dspy"])
def test_a_save_program_directory_says_how_to_save_json(tmp_path, implementation):
    folder = tmp_path / "qa_program"
    QA().save(str(folder), save_program=True)
    assert (folder / "program.pkl").exists()
    with pytest.raises(dspex.InputError) as info:
        dspex.load(folder, implementation=implementation)
    message = str(info.value)
    assert "save_program=True" in message and "program.save('qa_program.json')" in message
    assert "allow_pickle=True" in message
    # the advice works: the state-only JSON of the same program loads
    QA().save(str(tmp_path / "qa_program.json"))
    assert dspex.load(tmp_path / "qa_program.json", implementation=implementation).names() == ["answer.predict"]


@pytest.mark.parametrize("implementation", ["native", "dspy"])
def test_renamed_fields_are_an_error_naming_both(tmp_path, implementation):
    path = tmp_path / "cot.json"
    dspy.ChainOfThought("question, context -> answer").save(str(path))
    with pytest.raises(dspex.InputError) as info:
        dspex.load(path, implementation=implementation, signature="query, context -> answer: int")
    message = str(info.value)
    assert "names the fields query, context, reasoning, answer" in message
    assert "saved the fields question, context, reasoning, answer" in message
    assert "e.g. 'question, context -> answer: int'" in message
    ref = dspex.load(path, implementation=implementation, signature="question, context -> answer: int")
    assert ref.spec.signature == "question, context -> answer: int"
