"""Loading mistakes get help (dspex_core.programs): a signature whose field names are not the
saved program's is an error naming both, and a ``save_program=True`` directory says how to save
state-only JSON. The saved dicts are written as ``dspy.Predict(...).save()`` writes them
(tests/parity/test_load_mistakes.py checks the same against real dspy)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dspex_core.errors import InputError
from dspex_core.programs import read_program
from dspex_core.testing.strategies import field_names

from test_programs import METADATA, saved_cot, saved_predict


def test_renamed_fields_are_an_error_naming_both_and_the_fix():
    with pytest.raises(InputError) as info:
        read_program(saved_predict(["question"], ["answer"]), signature="query -> response: int")
    message = str(info.value)
    assert "'query -> response: int' (given) names the fields query, response" in message
    assert "saved the fields question, answer" in message and "e.g. 'question -> answer: int'" in message


def test_renamed_fields_of_a_chain_of_thought_keep_reasoning_in_place():
    with pytest.raises(InputError, match="names the fields q, reasoning, a, but .* saved the fields question, "
                                         "reasoning, answer.*e.g. 'question -> answer'"):
        read_program(saved_cot(["question"], ["answer"]), signature="q -> a")


def test_same_names_with_types_or_custom_text_still_load():
    assert read_program(saved_predict(["question"], ["answer"]), signature="question -> answer: int").signature \
        .signature == "question -> answer: int"
    custom = saved_predict(["question"], ["answer"], instructions="Answer briefly.",
                           descs={"question": "what is asked", "answer": "short"})
    # nothing saved names the fields (custom instructions and descriptions): any names are accepted
    assert read_program(custom, signature="query -> reply").signature.signature == "query -> reply"


def test_a_rewritten_prefix_does_not_count_as_a_name():
    data = saved_predict(["question"], ["answer"])
    data["signature"]["fields"][1]["prefix"] = "Final Answer:"  # COPRO rewrites the last prefix
    data["signature"]["fields"][1]["description"] = "${reply}"  # and a description that is not the default
    assert read_program(data, signature="question -> answer").signature.signature == "question -> answer"


@given(st.lists(field_names().filter(lambda n: n != "reasoning"), min_size=2, max_size=5, unique=True), st.data())
def test_any_renamed_field_is_caught(names, data):
    cut = data.draw(st.integers(1, len(names) - 1))
    saved = saved_predict(names[:cut], names[cut:])
    renamed = list(names)
    index = data.draw(st.integers(0, len(names) - 1))
    renamed[index] = data.draw(field_names().filter(lambda n: n not in names and n != "reasoning"))
    with pytest.raises(InputError, match=f"saved the fields {', '.join(names)}"):
        read_program(saved, signature=f"{', '.join(renamed[:cut])} -> {', '.join(renamed[cut:])}")


def test_a_save_program_directory_says_how_to_save_json(tmp_path):
    folder = tmp_path / "my_program"
    folder.mkdir()
    (folder / "program.pkl").write_bytes(b"\x80\x04.")
    (folder / "metadata.json").write_text(json.dumps(METADATA))
    with pytest.raises(InputError) as info:
        read_program(folder)
    message = str(info.value)
    assert "save_program=True" in message and "program.save('my_program.json')" in message
    assert f"dspy.load({str(folder)!r}, allow_pickle=True).save('my_program.json')" in message
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match="not a file .*module.save\\('x.json'\\)"):
        read_program(plain)
    with pytest.raises(InputError, match="program.save\\('state.json'\\)"):
        read_program(tmp_path / "state.pkl")
