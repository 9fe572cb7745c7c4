"""The translation layer: signatures, LMs, examples and predictions, both ways."""

from __future__ import annotations

import subprocess
from typing import Optional
import sys

import dspy
import pytest
from dspy_helpers import chat
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_dspy.lm import CustomLM
from dspex_dspy.translate import (
    from_dspy_example,
    from_dspy_prediction,
    from_dspy_signature,
    to_dspy_example,
    to_dspy_lm,
    to_dspy_prediction,
    to_dspy_signature,
)

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda n: n not in {"if", "in", "is", "or",
                                                                                          "as", "for", "and", "not"})
types = st.sampled_from(["", ": int", ": list[str]", ": float", ": bool", ": dict[str, int]", ": Optional[str]"])


@given(st.lists(st.tuples(names, types), min_size=1, max_size=4, unique_by=lambda t: t[0]),
       st.lists(st.tuples(names, types), min_size=1, max_size=3, unique_by=lambda t: t[0]),
       st.one_of(st.none(), st.text(min_size=1, max_size=30).filter(str.strip)))
def test_string_signatures_translate_like_dspys_own_parser(inputs, outputs, instructions):
    out_names = {n for n, _ in outputs}
    inputs = [(n, t) for n, t in inputs if n not in out_names] or [("zz_input", "")]
    spec = ", ".join(n + t for n, t in inputs) + " -> " + ", ".join(n + t for n, t in outputs)
    ours = to_dspy_signature(dspex.Signature(spec, instructions=instructions))
    theirs = dspy.Signature(spec, instructions) if instructions else dspy.Signature(spec)
    assert ours.instructions == theirs.instructions
    assert list(ours.input_fields) == list(theirs.input_fields)
    assert list(ours.output_fields) == list(theirs.output_fields)
    for name, field in theirs.fields.items():
        assert ours.fields[name].annotation == field.annotation
        assert ours.fields[name].json_schema_extra == field.json_schema_extra
    assert from_dspy_signature(ours).input_fields == dspex.Signature(spec).input_fields


def test_class_signature_descriptions_and_prefixes_are_kept_without_dspys_deprecation_warning(recwarn):
    class QA(dspex.Signature):
        """Be brief."""

        question: str = dspex.InputField(desc="the question", prefix="Q:")
        answer: int = dspex.OutputField(desc="a number")

    made = to_dspy_signature(QA)
    assert made.instructions == "Be brief."
    assert made.input_fields["question"].json_schema_extra["desc"] == "the question"
    assert made.input_fields["question"].json_schema_extra["prefix"] == "Q:"
    assert made.output_fields["answer"].annotation is int
    assert not [w for w in recwarn if "prefix" in str(w.message)]
    back = from_dspy_signature(made)
    assert back.input_fields["question"].desc == "the question" and back.instructions == "Be brief."


def test_dspex_lm_becomes_dspy_lm_with_credentials_passed_not_shown():
    lm = dspex.LM("openai/gpt-4o-mini", api_base="http://127.0.0.1:1/v1", api_key="sk-secret", temperature=0.1)
    made = to_dspy_lm(lm)
    assert isinstance(made, dspy.LM) and made.model == "openai/gpt-4o-mini"
    assert made.kwargs["api_base"] == "http://127.0.0.1:1/v1" and made.kwargs["api_key"] == "sk-secret"
    assert made.kwargs["temperature"] == 0.1
    assert "sk-secret" not in str(made.dump_state())
    assert to_dspy_lm(lm) is made  # cached: dspy's client is reused


def test_custom_lm_calls_the_same_object_with_exactly_dspys_kwargs():
    obj = RecordingLM([chat(answer="a")], model="my/model")
    made = to_dspy_lm(obj)
    assert isinstance(made, CustomLM) and made.obj is obj and made.model == "my/model" and made.kwargs == {}
    with dspy.context(lm=made):
        dspy.Predict("question -> answer")(question="q", config={"temperature": 0.5})
    assert obj.calls[0].settings == {"temperature": 0.5}
    assert obj.calls[0].messages[0]["role"] == "system"


def test_custom_lm_returning_a_non_list_is_an_lm_error():
    made = to_dspy_lm(lambda messages, **settings: 42)
    with dspy.context(lm=made), pytest.raises(dspex.LMError, match="list of strings"):
        dspy.Predict("question -> answer")(question="q")


def test_no_lm_and_a_bad_lm():
    with pytest.raises(dspex.InputError, match="configure"):
        to_dspy_lm(None)
    with pytest.raises(dspex.InputError, match="lm must be"):
        to_dspy_lm(42)


values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                      max_leaves=6)


@given(st.dictionaries(names, values, min_size=1, max_size=5), st.data())
def test_examples_round_trip_with_their_input_keys(fields, data):
    inputs = data.draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    example = dspex.Example(fields).with_inputs(*inputs)
    there = to_dspy_example(example)
    assert dict(there.items()) == fields and set(there.inputs().keys()) == set(inputs)
    back = from_dspy_example(there)
    assert back == example and back.input_keys == frozenset(inputs)


@given(st.dictionaries(names, values, min_size=1, max_size=5))
def test_predictions_round_trip_with_values_unchanged(fields):
    pred = from_dspy_prediction(dspy.Prediction(**fields))
    assert isinstance(pred, dspex.Prediction) and pred.toDict() == fields
    assert all(pred[k] is fields[k] for k in fields)
    assert dict(to_dspy_prediction(pred).items()) == fields


def test_prediction_completions_both_ways():
    many = dspy.Prediction.from_completions([{"answer": "a"}, {"answer": "b"}])
    pred = from_dspy_prediction(many)
    assert pred.answer == "a" and [c["answer"] for c in pred.completions] == ["a", "b"]
    back = to_dspy_prediction(pred)
    assert len(back.completions) == 2 and back.completions.answer == ["a", "b"]


def test_registering_the_plugin_does_not_import_dspy():
    code = ("import sys, dspex_core\n"
            "print(dspex_core.registry.list_by_implementation()['dspy'][:2])\n"
            "print('dspy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['predict', 'chain_of_thought']" and out[1] == "False"


def test_a_dspex_tool_calls_output_is_dspys_tool_calls_on_the_dspy_backend():
    class Plan(dspex.Signature):
        question: str = dspex.InputField()
        calls: dspex.ToolCalls = dspex.OutputField()

    assert to_dspy_signature(Plan).output_fields["calls"].annotation is dspy.ToolCalls
    lm = RecordingLM(['[[ ## calls ## ]]\n{"tool_calls": [{"name": "f", "args": {"x": 1}}]}\n\n[[ ## completed ## ]]'])
    pred = dspex.create("predict", Plan, implementation="dspy", lm=lm)(question="q")
    assert pred.calls.format() == {"tool_calls": [{"name": "f", "args": {"x": 1}}]}


def test_dspex_types_inside_optional_and_list_are_dspys_on_the_dspy_backend():
    sig = dspex.Signature("question, shots: list[Image] -> answer, calls: Optional[ToolCalls]",
                          custom_types={"Image": dspex.Image, "ToolCalls": dspex.ToolCalls})
    fields = to_dspy_signature(sig).fields
    assert fields["shots"].annotation == list[dspy.Image]
    assert fields["calls"].annotation == Optional[dspy.ToolCalls]


def test_a_dspex_tool_calls_input_reaches_dspy_as_dspys_tool_calls(recwarn):
    """dspy's Predict warns of a type mismatch for a value of another class and renders its repr;
    the backend hands it dspy's own ToolCalls, which dspy renders as its JSON."""
    sig = dspex.Signature("question, calls: ToolCalls -> answer", custom_types={"ToolCalls": dspex.ToolCalls})
    calls = dspex.ToolCalls.of([{"name": "search", "args": {"query": "dspy"}}])
    lm = RecordingLM(["[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"])
    pred = dspex.create("predict", sig, implementation="dspy", lm=lm)(question="q", calls=calls)
    assert pred.answer == "ok"
    plain = dspy.Predict(dspy.Signature("question, calls: dspy.ToolCalls -> answer"))
    theirs = dspy.ChatAdapter().format(plain.signature, [], {
        "question": "q", "calls": dspy.ToolCalls.from_dict_list([{"name": "search", "args": {"query": "dspy"}}])})
    assert lm.calls[0].messages == theirs
    assert not [w for w in recwarn if "Type mismatch" in str(w.message)]
