"""The native ``multi_chain_comparison`` module, without dspy installed.

The golden prompt is what dspy 3.4.1's ``MultiChainComparison`` sends for the same module (checked
against dspy itself in tests/parity/test_multi_chain_comparison_parity.py); the rest covers bad
input (before any LM call, with the dspy backend's messages), settings, async, describe and DSPy's
saved state.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError, Prediction
from dspex_core.testing import RecordingLM
from dspex_native.modules.multi_chain_comparison import implementation as mcc

GOLDEN_SYSTEM = """Your input fields are:
1. `question` (str): 
2. `reasoning_attempt_1` (str): ${reasoning attempt}
3. `reasoning_attempt_2` (str): ${reasoning attempt}
Your output fields are:
1. `rationale` (str): ${corrected reasoning}
2. `answer` (int):
All interactions will be structured in the following way, with the appropriate values filled in.

[[ ## question ## ]]
{question}

[[ ## reasoning_attempt_1 ## ]]
{reasoning_attempt_1}

[[ ## reasoning_attempt_2 ## ]]
{reasoning_attempt_2}

[[ ## rationale ## ]]
{rationale}

[[ ## answer ## ]]
{answer}        # note: the value you produce must be a single int value

[[ ## completed ## ]]
In adhering to this structure, your objective is: 
        Given the fields `question`, produce the fields `answer`."""

GOLDEN_USER = """[[ ## question ## ]]
How many?

[[ ## reasoning_attempt_1 ## ]]
«I'm trying to count them I'm not sure but my prediction is 3»

[[ ## reasoning_attempt_2 ## ]]
«I'm trying to add one and two I'm not sure but my prediction is [3]»

Respond with the corresponding output fields, starting with the field `[[ ## rationale ## ]]`, then `[[ ## answer ## ]]` (must be formatted as a valid Python int), and then ending with the marker for `[[ ## completed ## ]]`."""

REPLY = "[[ ## rationale ## ]]\nBoth say three.\n\n[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]"
COMPLETIONS = [{"reasoning": "  count them\nthen more", "answer": "3\nor so"},
               Prediction(rationale="add one and two", answer=[3])]


def create(spec="question -> answer: int", **options):
    return dspex.create("multi_chain_comparison", spec, implementation="native", **options)


def test_golden_prompt_and_prediction():
    lm = RecordingLM([REPLY])
    pred = create(M=2)(question="How many?", completions=COMPLETIONS, lm=lm)
    assert list(pred.keys()) == ["rationale", "answer"] and pred.answer == 3
    (call,) = lm.calls
    assert call.messages == [{"role": "system", "content": GOLDEN_SYSTEM}, {"role": "user", "content": GOLDEN_USER}]
    assert call.settings == {"temperature": 0.7}


def test_temperature_is_the_predictors_config_and_a_call_config_wins():
    lm = RecordingLM([REPLY] * 3)
    create(M=2, temperature=0.1)(question="q", completions=COMPLETIONS, lm=lm)
    create(M=2, temperature=None)(question="q", completions=COMPLETIONS, lm=lm)
    create(M=2)(question="q", completions=COMPLETIONS, lm=lm, config={"temperature": 0.0, "max_tokens": 9})
    assert [c.settings for c in lm.calls] == [{"temperature": 0.1}, {"temperature": None},
                                              {"temperature": 0.0, "max_tokens": 9}]


def test_instructions_demos_and_async():
    ref = create(M=1, instructions="Pick the best.", demos=[{"question": "q0", "answer": 1}])
    sync_lm, async_lm = RecordingLM([REPLY]), RecordingLM([REPLY])
    completions = [{"rationale": "r", "answer": 1}]
    sync = ref(question="q", completions=completions, lm=sync_lm)
    asynced = asyncio.run(ref.acall(question="q", completions=completions, lm=async_lm))
    assert sync == asynced and sync_lm.calls == async_lm.calls
    messages = sync_lm.calls[0].messages
    assert messages[0]["content"].endswith("Pick the best.")
    assert messages[1]["content"].startswith("This is an example of the task, though some input or output fields")


@pytest.mark.parametrize("completions, message", [
    ([COMPLETIONS[0]], "multi_chain_comparison was created with M=2 and got 1 completions; pass exactly M completions"),
    ([*COMPLETIONS, COMPLETIONS[0]], "created with M=2 and got 3 completions"),
    ("two attempts", "completions must be a list of predictions or dicts"),
    ({"reasoning": "r", "answer": 1}, "completions must be a list of predictions or dicts"),
    (7, "completions must be a list of predictions or dicts"),
    ([COMPLETIONS[0], {"answer": 1}], "completions[1] has no 'reasoning' (or 'rationale') field"),
    ([COMPLETIONS[0], {"rationale": None, "reasoning": "r", "answer": 1}], "completions[1] has no 'reasoning'"),
    ([{"reasoning": "r"}, COMPLETIONS[0]], "completions[0] has no 'answer' field (the signature's last output)"),
    ([COMPLETIONS[0], 5], "completions[1] must be a prediction or a dict, got int"),
    ([COMPLETIONS[0], {"reasoning": ["r"], "answer": 1}], "completions[1]: the reasoning must be text, got list"),
])
def test_bad_completions_are_input_errors_before_any_lm_call(completions, message):
    lm = RecordingLM([REPLY])
    with pytest.raises(InputError) as info:
        create(M=2)(question="q", completions=completions, lm=lm)
    assert message in str(info.value) and lm.calls == []


@pytest.mark.parametrize("inputs, message", [
    ({"completions": COMPLETIONS}, "multi_chain_comparison: missing input field(s) 'question'; the inputs are "
                                   "completions, question"),
    ({"question": "q"}, "missing input field(s) 'completions'"),
    ({"question": "q", "completion": COMPLETIONS}, "missing input field(s) 'completions'; unknown input field(s) "
                                                   "'completion' (did you mean 'completions'?)"),
])
def test_inputs_are_checked_as_the_dspy_backend_checks_them(inputs, message):
    lm = RecordingLM([REPLY])
    with pytest.raises(InputError) as info:
        create(M=2)(lm=lm, **inputs)
    assert message in str(info.value) and lm.calls == []


def test_an_extra_input_is_ignored_with_a_warning():
    lm = RecordingLM([REPLY])
    with pytest.warns(dspex.InputWarning, match="'hint' not in the signature are ignored"):
        create(M=2)(lm=lm, question="q", completions=COMPLETIONS, hint="zzz-hint")
    assert len(lm.calls) == 1 and not any("zzz-hint" in m["content"] for m in lm.calls[0].messages)


def test_unknown_call_options_are_input_errors():
    with pytest.raises(InputError, match=r"unknown option\(s\) 'demos' for 'multi_chain_comparison \(call\)'"):
        create(M=2)(question="q", completions=COMPLETIONS, lm=RecordingLM([REPLY]), demos=[])


@pytest.mark.parametrize("spec, options, error, message", [
    ("question -> answer", {"M": 0}, InputError, "M must be a positive integer (the number of completions to compare), "
                                                 "got 0"),
    ("question -> answer", {"M": True}, InputError, "got True"),
    ("question -> answer", {"M": "3"}, InputError, "got '3'"),
    ("question -> answer", {"n": 2}, InputError, "unknown option(s) 'n' for 'multi_chain_comparison'"),
    ("question -> rationale, answer", {}, InputError, "the signature already has 'rationale'"),
    ("question, reasoning_attempt_2 -> answer", {}, InputError, "already has 'reasoning_attempt_2'"),
    ("question, completions -> answer", {}, InputError, "already has 'completions'"),
    ("question -> answer", {"lm": "gpt-4o"}, InputError, "lm must be dspex.LM('gpt-4o')"),
    (None, {}, InputError, "needs a signature"),
])
def test_bad_create_options(spec, options, error, message):
    with pytest.raises(error) as info:
        mcc.create(spec, **options)
    assert message in str(info.value)


def test_describe_names_the_fields_read_and_produced():
    described = create(M=3).describe()
    assert described["inputs"] == ["question", "completions"]
    assert described["outputs"] == ["rationale", "answer"]
    assert described["M"] == 3 and described["config"] == {"temperature": 0.7}


def test_dump_state_save_and_load_state(tmp_path):
    ref = create(M=2, demos=[{"question": "q0", "answer": 1}])
    dumped = ref.implementation.dump_state(ref.state)
    fields = dumped["predict"]["signature"]["fields"]
    assert [f["prefix"] for f in fields] == ["Question:", "Student Attempt #1:", "Student Attempt #2:",
                                             "Accurate Reasoning: Thank you everyone. Let's now holistically",
                                             "Answer:"]
    assert [f["description"] for f in fields][1:4] == ["${reasoning attempt}", "${reasoning attempt}",
                                                       "${corrected reasoning}"]
    assert dumped["predict"]["demos"] == [{"question": "q0", "answer": 1}]
    path = tmp_path / "mcc.json"
    ref.save(path)
    assert {k: v for k, v in json.loads(path.read_text()).items() if k != "metadata"} == dumped
    changed = json.loads(json.dumps(dumped))
    changed["predict"]["signature"]["instructions"] = "Compare."
    changed["predict"]["signature"]["fields"][1]["description"] = "the first try"
    loaded = mcc.load_state("question -> answer: int", changed, M=2)
    lm = RecordingLM([REPLY])
    mcc.execute(loaded, {"question": "q", "completions": COMPLETIONS}, lm=lm)
    system = lm.calls[0].messages[0]["content"]
    assert system.endswith("Compare.") and "2. `reasoning_attempt_1` (str): the first try" in system
    with pytest.raises(InputError, match="the saved state has 5 field"):
        mcc.load_state("question -> answer: int", changed, M=3)
    with pytest.raises(InputError, match="no 'predict' with a 'signature'"):
        mcc.load_state("question -> answer: int", {"self": {}}, M=2)


def test_a_call_is_a_predictor_call_a_refine_can_hint():
    assert [name for name, _ in mcc.named_predictors(create(M=1).state)] == ["predict"]
