"""Reading saved DSPy programs (``dspex_core.programs``) and routing ``dspex.load``.

The saved dicts here are written the way ``dspy.Predict(...).save()`` writes them (checked
against real dspy in tests/parity/test_run_dspy_program.py); this env has no dspy.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import registry, telemetry
from dspex_core._signature import default_instructions, infer_prefix
from dspex_core.errors import CapabilityError, InputError, SignatureError
from dspex_core.programs import dspex_metadata, read_program
from dspex_core.testing.strategies import field_names

from core_test_plugins import BackendPlugin, Impl


def predictor_state(inputs, outputs, *, instructions=None, descs=None, reasoning=False, demos=()):
    names = list(inputs) + (["reasoning"] if reasoning else []) + list(outputs)
    descs = descs or {}
    return {
        "traces": [], "train": [], "demos": list(demos),
        "signature": {
            "instructions": instructions if instructions is not None else default_instructions(inputs, outputs),
            "fields": [{"prefix": infer_prefix(n) + ":", "description": descs.get(n, f"${{{n}}}")} for n in names],
        },
        "lm": None,
    }


METADATA = {"dependency_versions": {"python": "3.11", "dspy": "3.4.1", "cloudpickle": "3.1"}}


def saved_predict(inputs, outputs, **kw):
    return {**predictor_state(inputs, outputs, **kw), "metadata": METADATA}


def saved_cot(inputs, outputs, **kw):
    return {"predict": predictor_state(inputs, outputs, reasoning=True, **kw), "metadata": METADATA}


# -- module type and signature from the file ------------------------------------------------------

def test_predict_with_default_instructions_is_inferred():
    program = read_program(saved_predict(["question", "context"], ["answer"]))
    assert program.module_type == "predict" and program.signature_source == "inferred"
    assert program.signature.signature == "question, context -> answer"
    assert "metadata" not in program.state and program.state["signature"]["fields"][0]["prefix"] == "Question:"


def test_chain_of_thought_with_custom_instructions_splits_at_reasoning():
    program = read_program(saved_cot(["question"], ["answer", "confidence"], instructions="Be terse."))
    assert program.module_type == "chain_of_thought"
    assert program.signature.signature == "question -> answer, confidence"
    assert set(program.state) == {"predict"}


def test_default_instructions_name_fields_with_custom_descriptions():
    data = saved_predict(["question"], ["answer"], descs={"question": "What is asked", "answer": "Short"})
    assert read_program(data).signature.signature == "question -> answer"


def test_predict_with_custom_instructions_needs_the_signature():
    data = saved_predict(["question"], ["answer"], instructions="Answer well.")
    with pytest.raises(InputError) as info:
        read_program(data)
    assert "--signature" in str(info.value) and "inputs from the outputs" in str(info.value)
    assert read_program(data, signature="question -> answer: int").signature.signature == "question -> answer: int"


def test_custom_descriptions_and_instructions_cannot_name_fields():
    data = saved_cot(["q"], ["a"], instructions="Do it.", descs={"q": "the query"})
    with pytest.raises(InputError, match="field names"):
        read_program(data)


def test_given_signature_must_have_the_files_field_count():
    with pytest.raises(InputError) as info:
        read_program(saved_cot(["question"], ["answer"]), signature="a, b -> c")
    message = str(info.value)
    assert "'a, b -> c'" in message and "saved 3" in message and "Question:, Reasoning:, Answer:" in message
    with pytest.raises(InputError, match="saved 2"):
        read_program(saved_predict(["q"], ["a"]), signature="q -> a, b")


def test_bad_given_signature_is_a_signature_error():
    with pytest.raises(SignatureError, match="given signature"):
        read_program(saved_predict(["q"], ["a"]), signature="q -> -> a")


def test_dspex_metadata_wins_over_inference():
    data = saved_predict(["question"], ["answer"], instructions="Custom.")
    data["metadata"] = {**METADATA, "dspex": {"module_type": "predict", "signature": "question -> answer: int"}}
    program = read_program(data)
    assert program.signature_source == "metadata" and program.signature.signature == "question -> answer: int"
    assert dspex_metadata(data)["signature"] == "question -> answer: int"
    data["metadata"]["dspex"]["signature"] = "question -> answer, extra"
    with pytest.raises(InputError, match="metadata.dspex"):
        read_program(data)


def test_several_predictors_are_a_capability_error():
    data = {"a": predictor_state(["q"], ["a"]), "b.predict": predictor_state(["a"], ["b"], reasoning=True),
            "metadata": METADATA}
    with pytest.raises(CapabilityError) as info:
        read_program(data)
    assert "a, b.predict" in str(info.value) and "single-predictor" in str(info.value)


def test_single_predictor_under_a_custom_name_needs_module_type():
    data = {"generate": predictor_state(["q"], ["a"]), "metadata": METADATA}
    with pytest.raises(CapabilityError, match="generate"):
        read_program(data)
    assert read_program(data, module_type="predict").signature.signature == "q -> a"
    with pytest.raises(InputError, match="no Reasoning"):
        read_program(data, module_type="chain_of_thought")


def test_not_a_program_and_bad_module_type():
    with pytest.raises(InputError, match="does not look like a saved DSPy program"):
        read_program({"hello": 1})
    with pytest.raises(InputError, match="predict or chain_of_thought"):
        read_program(saved_predict(["q"], ["a"]), module_type="react")


def test_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_program(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_program(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(InputError, match="JSON object"):
        read_program(listed)
    with pytest.raises(InputError, match="pickle"):
        read_program(tmp_path / "x.pkl")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(saved_predict(["q"], ["a"])))
    assert read_program(str(good)).source == str(good)


NAMES = st.lists(field_names().filter(lambda n: n != "reasoning"), min_size=2, max_size=6, unique=True)


@given(NAMES, st.data())
def test_dspy_defaults_always_reveal_the_signature(names, data):
    cut = data.draw(st.integers(1, len(names) - 1))
    inputs, outputs = names[:cut], names[cut:]
    predict = read_program(saved_predict(inputs, outputs))
    assert (list(predict.signature.input_fields), list(predict.signature.output_fields)) == (inputs, outputs)
    # a ChainOfThought keeps the original default sentence, or has custom instructions: both decide
    custom = data.draw(st.sampled_from([None, "Think, then answer."]))
    cot = read_program(saved_cot(inputs, outputs, instructions=custom))
    assert (list(cot.signature.input_fields), list(cot.signature.output_fields)) == (inputs, outputs)


# -- dspex.load routing -------------------------------------------------------------------------

class LoadingImpl(Impl):
    def load_state(self, spec, state_dict, **options):
        if self.create_error is not None:
            raise self.create_error
        state = {"spec": spec, "state": state_dict, "options": options, "backend": self.backend}
        self.created.append(state)
        return state


def _install(first, second):
    registry._extra_plugins["first"] = BackendPlugin("first", ["predict", "chain_of_thought"], native=True,
                                                     priority=5, impl=first)
    registry._extra_plugins["second"] = BackendPlugin("second", ["predict", "chain_of_thought"], impl=second)
    registry.refresh()


def test_load_calls_the_chosen_load_state_and_emits_route():
    first, second = LoadingImpl("first"), LoadingImpl("second")
    _install(first, second)
    seen = []
    telemetry.attach(telemetry.ROUTE, lambda e, m, md: seen.append(md))
    data = saved_cot(["question"], ["answer"], demos=[{"question": "q", "answer": "a"}])
    ref = dspex.load(data, temperature=0.5)
    assert (ref.backend, ref.module_type) == ("first", "chain_of_thought")
    assert ref.spec.signature == "question -> answer"
    loaded = first.created[0]
    assert loaded["state"]["predict"]["demos"] == [{"question": "q", "answer": "a"}]
    assert loaded["options"] == {"temperature": 0.5} and second.created == []
    assert seen[0]["operation"] == "load" and seen[0]["module_type"] == "chain_of_thought"
    assert ref(question="x")["backend"] == "first"
    assert dspex.load(data, implementation="second").backend == "second"


def test_implementation_without_load_state_is_a_capability_error_or_falls_back():
    _install(Impl("first"), LoadingImpl("second"))
    fallbacks = []
    telemetry.attach(telemetry.FALLBACK, lambda e, m, md: fallbacks.append(md))
    ref = dspex.load(saved_predict(["q"], ["a"]))
    assert ref.backend == "second"
    assert fallbacks[0]["operation"] == "load" and fallbacks[0]["from_implementation"] == "first"
    with pytest.raises(CapabilityError) as info:
        dspex.load(saved_predict(["q"], ["a"]), implementation="first")
    assert "'first'" in str(info.value) and "'predict'" in str(info.value)
    with dspex.context(allow_fallback=False), pytest.raises(CapabilityError):
        dspex.load(saved_predict(["q"], ["a"]))


def test_load_does_not_fall_back_on_the_users_mistake():
    _install(LoadingImpl("first", create_error=InputError("state does not fit")), LoadingImpl("second"))
    with pytest.raises(InputError, match="does not fit"):
        dspex.load(saved_predict(["q"], ["a"]))


def test_each_candidate_gets_its_own_copy_of_the_state():
    class Mutating(LoadingImpl):
        def load_state(self, spec, state_dict, **options):
            state_dict["demos"].append({"q": "spoiled"})
            raise RuntimeError("bug after mutating")

    second = LoadingImpl("second")
    _install(Mutating("first"), second)
    data = saved_predict(["q"], ["a"])
    dspex.load(data)
    assert second.created[0]["state"]["demos"] == [] and data["demos"] == []


def test_a_loaded_program_falls_back_at_call_time_with_the_same_saved_state():
    first = LoadingImpl("first", execute_error=CapabilityError("first cannot run this yet"))
    second = LoadingImpl("second")
    _install(first, second)
    fallbacks = []
    telemetry.attach(telemetry.FALLBACK, lambda e, m, md: fallbacks.append(md))
    data = saved_predict(["q"], ["a"], demos=[{"q": "saved q", "a": "saved a"}])
    ref = dspex.load(data, temperature=0.3)
    assert ref.backend == "first"
    assert ref(q="x")["backend"] == "second" and ref(q="y")["backend"] == "second"
    (loaded,) = second.created  # loaded once, from the saved state, with the load options
    assert loaded["state"] == first.created[0]["state"] and loaded["options"] == {"temperature": 0.3}
    assert loaded["state"]["demos"] == [{"q": "saved q", "a": "saved a"}]
    assert [(f["operation"], f["from_implementation"], f["to_implementation"]) for f in fallbacks] == [
        ("execute", "first", "second")] * 2
    with dspex.context(allow_fallback=False), pytest.raises(CapabilityError, match="cannot run this yet"):
        ref(q="z")
    assert dspex.load(data, implementation="first")._fallbacks == ()  # a forced backend has no fallbacks


def test_a_loaded_program_does_not_fall_back_on_the_users_mistake():
    _install(LoadingImpl("first", execute_error=InputError("bad input")), LoadingImpl("second"))
    ref = dspex.load(saved_predict(["q"], ["a"]))
    with pytest.raises(InputError, match="bad input"):
        ref(q="x")


def test_metadata_for_drops_reasoning_and_types_that_do_not_survive_a_string():
    from dspex_core.programs import metadata_for

    class Point:
        pass

    sig = dspex.Signature("where -> point: Point", custom_types={"Point": Point})
    assert metadata_for("predict", sig) == {"module_type": "predict"}
    plain = dspex.Signature("where -> point: Optional[int]")
    assert metadata_for("predict", plain) == {"module_type": "predict", "signature": plain.signature}
    cot = dspex.Signature("question -> reasoning, answer: int")
    assert metadata_for("chain_of_thought", cot) == {"module_type": "chain_of_thought",
                                                     "signature": "question -> answer: int"}
