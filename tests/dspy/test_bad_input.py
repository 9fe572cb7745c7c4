"""Bad input gives a clear error that names the problem."""

from __future__ import annotations

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM


def test_unknown_create_option_is_named():
    with pytest.raises(dspex.InputError, match="'temprature'.*predict"):
        dspy_ref("predict", "question -> answer", temprature=0.1)


def test_chain_of_thought_rationale_options_are_not_supported():
    with pytest.raises(dspex.InputError, match="rationale_field"):
        dspy_ref("chain_of_thought", "question -> answer", rationale_field="why")


def test_unknown_call_option_is_named():
    ref = dspy_ref("predict", "question -> answer", lm=RecordingLM(chat(answer="x")))
    with pytest.raises(dspex.InputError, match="'n'"):
        dspex.execute(ref, {"question": "q"}, n=3)


def test_missing_and_misspelt_inputs_are_named_and_extra_ones_ignored():
    lm = RecordingLM(chat(answer="x"))
    ref = dspy_ref("predict", "question, context -> answer", lm=lm)
    with pytest.raises(dspex.InputError, match="missing input field.*'context'"):
        ref(question="q")
    with pytest.raises(dspex.InputError, match=r"unknown input field.*'contxt' \(did you mean 'context'\?\)"):
        ref(question="q", contxt="c")
    with pytest.warns(dspex.InputWarning, match="'contxt' not in the signature are ignored"):
        ref(question="q", context="c", contxt="zzz")  # both given: a leftover, not a misspelling
    assert lm.calls and "zzz" not in lm.calls[-1].messages[-1]["content"]


def test_bad_signature_and_bad_adapter_and_bad_lm():
    with pytest.raises(dspex.SignatureError):
        dspy_ref("predict", "question answer")
    with pytest.raises(dspex.InputError, match="needs a signature"):
        dspy_ref("predict")
    with pytest.raises(dspex.InputError, match="unknown adapter 'yaml'"):
        dspy_ref("predict", "question -> answer", adapter="yaml")
    with pytest.raises(dspex.InputError, match="lm must be"):
        dspy_ref("predict", "question -> answer", lm=42)


def test_bad_demos():
    with pytest.raises(dspex.InputError, match="demos must be a list"):
        dspy_ref("predict", "question -> answer", demos="q: a")
    with pytest.raises(dspex.InputError, match="dspex.Example or a dict"):
        dspy_ref("predict", "question -> answer", demos=[42])
    with pytest.raises(dspex.InputError, match="demos must be a list of dspex.Example or dicts, got int"):
        dspy_ref("predict", "question -> answer", demos=5)  # once a bare TypeError from dspy


def test_empty_trainset_is_named():
    program = dspy_ref("predict", "question -> answer")
    optimizer = dspex.LabeledFewShot.create(implementation="dspy")
    with pytest.raises(dspex.InputError, match="non-empty trainset"):
        dspex.compile(optimizer, program, trainset=[])


def test_max_iters_and_m_must_be_positive():
    with pytest.raises(dspex.InputError, match="max_iters"):
        dspex.ReAct.create("question -> answer", tools=[len], max_iters=0, implementation="dspy")
    with pytest.raises(dspex.InputError, match="M must be"):
        dspex.MultiChainComparison.create("question -> answer", M=0, implementation="dspy")


def test_retrieve_and_evaluate_take_no_spec():
    with pytest.raises(dspex.InputError, match="no spec"):
        dspy_ref("retrieve", "question -> answer")
    with pytest.raises(dspex.InputError, match="no spec"):
        dspy_ref("evaluate", "question -> answer", devset=[])
