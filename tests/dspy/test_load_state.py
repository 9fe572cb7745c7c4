"""The dspy backend's ``load_state(spec, state)``: a saved state applied by dspy's own
``load_state``, errors translated, and ``dspex.load`` routed to it."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy_helpers import PlainLM, chat

import dspex_core as dspex
from dspex_core.errors import InputError
from dspex_core.testing import RecordingLM
from dspex_dspy import store
from dspex_dspy.plugin import implementation_for


def saved(program) -> dict:
    return json.loads(json.dumps(program.dump_state()))


def test_predict_load_state_keeps_demos_instructions_and_descriptions():
    program = dspy.Predict(dspy.Signature("question -> answer: int", "Count carefully."))
    program.demos = [dspy.Example(question="legs of a cat?", answer=4)]
    program.signature = program.signature.with_updated_fields("answer", desc="a whole number")
    impl = implementation_for("predict")
    module_id = impl.load_state("question -> answer: int", saved(program))
    loaded = store.get(module_id)
    assert loaded.signature.instructions == "Count carefully."
    assert loaded.signature.output_fields["answer"].json_schema_extra["desc"] == "a whole number"
    assert [dict(d) for d in loaded.demos] == [{"question": "legs of a cat?", "answer": 4}]
    mine = RecordingLM([chat(answer=3)])
    assert impl.execute(module_id, {"question": "legs of a tripod?"}, lm=mine)["answer"] == 3
    plain = PlainLM([chat(answer=3)])
    with dspy.context(lm=plain):
        program(question="legs of a tripod?")
    assert plain.messages[0] == mine.calls[0].messages


def test_chain_of_thought_accepts_its_own_and_the_inner_state():
    program = dspy.ChainOfThought(dspy.Signature("question -> answer", "Think."))
    program.predict.demos = [dspy.Example(question="q", reasoning="r", answer="a")]
    impl = implementation_for("chain_of_thought")
    for state in (saved(program), saved(program)["predict"]):
        loaded = store.get(impl.load_state("question -> answer", state))
        assert loaded.predict.signature.instructions == "Think."
        assert [dict(d) for d in loaded.predict.demos] == [{"question": "q", "reasoning": "r", "answer": "a"}]


def test_saved_lm_and_metadata_are_not_restored():
    program = dspy.Predict("question -> answer")
    state = saved(program)
    state["lm"] = {"model": "openai/gpt-4o-mini", "model_type": "chat", "temperature": 0.0}
    state["metadata"] = {"dspex": {"module_type": "predict"}}
    loaded = store.get(implementation_for("predict").load_state("question -> answer", state))
    assert loaded.lm is None and not hasattr(loaded, "metadata")


def test_load_state_errors_are_input_errors_and_free_the_module():
    impl = implementation_for("predict")
    before = store.count()
    with pytest.raises(InputError, match="2 field"):
        impl.load_state("question, context -> answer", saved(dspy.Predict("question -> answer")))
    with pytest.raises(InputError, match="no 'signature'"):
        impl.load_state("question -> answer", {"demos": []})
    with pytest.raises(InputError, match="does not fit"):
        impl.load_state("question -> answer", {"signature": {"instructions": "x", "fields": [1, 2]}})
    with pytest.raises(InputError, match="needs the module's signature"):
        impl.load_state(None, saved(dspy.Predict("question -> answer")))
    with pytest.raises(InputError, match="mapping|dict"):
        impl.load_state("question -> answer", ["not", "a", "dict"])
    assert store.count() == before


def test_dspex_load_routes_to_the_dspy_backend(tmp_path):
    program = dspy.ChainOfThought(dspy.Signature("topic -> title", "Write a title."))
    path = tmp_path / "cot.json"
    program.save(str(path))
    ref = dspex.load(path, implementation="dspy")
    assert (ref.backend, ref.module_type) == ("dspy", "chain_of_thought")
    assert ref.spec.signature == "topic -> title"
    lm = RecordingLM([chat(reasoning="r", title="T")])
    assert dict(ref(topic="cats", lm=lm)) == {"reasoning": "r", "title": "T"}
    assert lm.calls[0].messages[0]["content"].endswith("Write a title.")


@pytest.mark.parametrize("module_type", ["predict", "chain_of_thought"])
def test_dspy_backend_save_records_metadata_that_load_uses(tmp_path, module_type):
    ref = dspex.create(module_type, "question, ctx: list[str] -> answer: int", implementation="dspy",
                       instructions="Count.", demos=[{"question": "q", "ctx": ["a"], "answer": 1}])
    path = tmp_path / "program.json"
    ref.save(path)
    data = json.loads(path.read_text())
    assert data["metadata"]["dspex"] == {"module_type": module_type,
                                         "signature": "question, ctx: list[str] -> answer: int"}
    plain = dspy.ChainOfThought("question, ctx: list[str] -> answer: int") if module_type == "chain_of_thought" \
        else dspy.Predict("question, ctx: list[str] -> answer: int")
    plain.load(str(path))  # plain dspy ignores the extra metadata
    loaded = dspex.load(path, implementation="dspy")
    assert loaded.module_type == module_type and loaded.spec.signature == "question, ctx: list[str] -> answer: int"
    fields = {"reasoning": "r", "answer": 2} if module_type == "chain_of_thought" else {"answer": 2}
    assert loaded(question="x", ctx=["y"], lm=RecordingLM([chat(**fields)]))["answer"] == 2
