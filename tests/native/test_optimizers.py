"""Native optimizers on their own (no dspy installed): what a compile checks before any LM call,
what it produces, and how it fails. Parity with DSPy is tests/parity/test_optimizer_parity.py."""

from __future__ import annotations

import json

import pytest

import dspex_core as dspex
from dspex_core.errors import CapabilityError, EvaluationError, InputError
from dspex_core.testing import RecordingLM


def answer_upper(messages, settings):
    question = messages[-1]["content"].split("[[ ## question ## ]]\n")[-1].split("\n")[0]
    return f"[[ ## answer ## ]]\n{question.upper()}\n\n[[ ## completed ## ]]"


TRAIN = [dspex.Example(question=f"q{i}", answer=f"Q{i}").with_inputs("question") for i in range(5)]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def program(lm=None):
    return dspex.Predict.create("question -> answer", implementation="native", lm=lm or RecordingLM(answer_upper))


@pytest.mark.parametrize("module_type, options, message", [
    ("bootstrap_few_shot", {"max_rounds": 0}, "max_rounds must be an integer >= 1"),
    ("bootstrap_few_shot", {"metric": "exact"}, "metric must be a callable"),
    ("bootstrap_few_shot", {"teacher_settings": ["lm"]}, "teacher_settings must be a dict"),
    ("bootstrap_few_shot", {"epochs": 3}, "unknown option(s) 'epochs'"),
    ("bootstrap_few_shot_with_random_search", {}, "needs metric="),
    ("bootstrap_few_shot_with_random_search", {"metric": exact, "num_threads": 0}, "num_threads must be"),
    ("labeled_few_shot", {"k": -1}, "k must be an integer >= 0"),
    ("copro", {"metric": exact, "breadth": 1}, "Breadth must be greater than 1"),
    ("copro", {"metric": exact, "depth": 0}, "depth must be an integer >= 1"),
])
def test_bad_config_is_refused_at_create(module_type, options, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dspex.create(module_type, implementation="native", **options)


def test_bad_sets_and_options_are_refused_before_any_lm_call():
    lm = RecordingLM(answer_upper)
    optimizer = dspex.create("bootstrap_few_shot", metric=exact, implementation="native")
    with pytest.raises(InputError, match=r"trainset\[0\] is a dict"):
        dspex.compile(optimizer, program(lm), trainset=[{"question": "q", "answer": "Q"}])
    with pytest.raises(InputError, match=r"trainset\[1\] has no inputs marked"):
        dspex.compile(optimizer, program(lm), trainset=[TRAIN[0], dspex.Example(question="q", answer="Q")])
    with pytest.raises(InputError, match=r"lacks the program's input\(s\) 'question'"):
        dspex.compile(optimizer, program(lm), trainset=[dspex.Example(q="x", answer="Q").with_inputs("q")])
    with pytest.raises(InputError, match="does not use a valset"):
        dspex.compile(optimizer, program(lm), trainset=TRAIN, valset=TRAIN)
    with pytest.raises(InputError, match="unknown option"):
        dspex.compile(optimizer, program(lm), trainset=TRAIN, restrict=[0])
    with pytest.raises(InputError, match="is an optimizer"):
        dspex.compile(optimizer, optimizer, trainset=TRAIN)
    assert lm.calls == []


def test_no_lm_is_an_input_error_naming_the_fix():
    optimizer = dspex.create("bootstrap_few_shot", implementation="native")
    unconfigured = dspex.Predict.create("question -> answer", implementation="native")
    with pytest.raises(InputError, match="no LM for bootstrap_few_shot"):
        dspex.compile(optimizer, unconfigured, trainset=TRAIN)


def test_bootstrap_keeps_the_traces_the_metric_accepts_and_tops_up_with_labels(tmp_path):
    lm = RecordingLM(answer_upper)
    source = program(lm)
    optimizer = dspex.create("bootstrap_few_shot", metric=exact, max_bootstrapped_demos=2, max_labeled_demos=4,
                             implementation="native")
    compiled = dspex.compile(optimizer, source, trainset=TRAIN)
    demos = compiled.describe()["demos"]
    assert [d.get("augmented", False) for d in demos] == [True, True, False, False]
    assert demos[0] == {"augmented": True, "question": "q0", "answer": "Q0"}
    assert source.describe()["demos"] == []  # the user's program is unchanged
    assert len(lm.calls) == 2  # stopped once two examples were bootstrapped
    compiled.save(tmp_path / "compiled.json")
    saved = json.loads((tmp_path / "compiled.json").read_text())
    assert saved["demos"][:2] == demos[:2]
    reloaded = dspex.load(tmp_path / "compiled.json", implementation="native", lm=lm)
    assert reloaded.describe()["demos"] == demos
    assert compiled(question="q9").answer == "Q9"


def test_a_metric_that_raises_counts_as_a_failure_until_max_errors():
    calls = []

    def flaky(example, prediction, trace=None):
        calls.append(example.question)
        if example.question in ("q0", "q2"):
            raise ValueError("metric bug")
        return True

    optimizer = dspex.create("bootstrap_few_shot", metric=flaky, max_bootstrapped_demos=2, implementation="native")
    compiled = dspex.compile(optimizer, program(), trainset=TRAIN)
    assert [d["question"] for d in compiled.describe()["demos"] if d.get("augmented")] == ["q1", "q3"]
    stopping = dspex.create("bootstrap_few_shot", metric=flaky, max_errors=2, implementation="native")
    with pytest.raises(EvaluationError, match="metric bug") as info:
        dspex.compile(stopping, program(), trainset=TRAIN)
    assert [index for index, _ in info.value.errors] == [0, 2]


def test_labeled_few_shot_takes_no_lm_and_samples_with_seed_zero():
    import random

    compiled = dspex.compile(dspex.create("labeled_few_shot", k=3, implementation="native"),
                             dspex.Predict.create("question -> answer", implementation="native"), trainset=TRAIN)
    expected = random.Random(0).sample(TRAIN, 3)
    assert compiled.describe()["demos"] == [e.toDict() for e in expected]


def test_a_program_of_another_backend_is_a_capability_error_before_any_lm_call():
    """(With dspy installed the router then compiles it there: tests/parity/test_optimizer_parity.py.)"""
    from dspex_core.backend import ModuleRef

    foreign = ModuleRef("other", "predict", object(), "default")
    optimizer = dspex.create("labeled_few_shot", implementation="native")
    with pytest.raises(CapabilityError, match="runs on backend 'other'"):
        dspex.compile(optimizer, foreign, trainset=TRAIN)


def test_random_search_keeps_the_first_best_candidate():
    optimizer = dspex.create("bootstrap_few_shot_with_random_search", metric=exact, num_candidate_programs=2,
                             max_bootstrapped_demos=2, num_threads=2, implementation="native")
    compiled = dspex.compile(optimizer, program(), trainset=TRAIN)
    # every candidate scores 100 with this LM: the zero-shot one (seed -3) is kept
    assert compiled.describe()["demos"] == []


def test_copro_proposes_scores_and_keeps_the_best_instructions():
    def replies(messages, settings):
        if "`proposed_instruction`" in messages[0]["content"]:
            return [f"[[ ## proposed_instruction ## ]]\n\"Shout the question {i}.\"\n\n"
                    f"[[ ## proposed_prefix_for_output_field ## ]]\nShouted:\n\n[[ ## completed ## ]]"
                    for i in range(settings.get("n", 1))]
        shout = "Shout the question" in messages[0]["content"]
        question = messages[-1]["content"].split("[[ ## question ## ]]\n")[-1].split("\n")[0]
        return f"[[ ## answer ## ]]\n{question.upper() if shout else question}\n\n[[ ## completed ## ]]"

    lm = RecordingLM(replies)
    optimizer = dspex.create("copro", metric=exact, breadth=3, depth=2, implementation="native")
    compiled = dspex.compile(optimizer, program(lm), trainset=TRAIN, eval_kwargs={"num_threads": 1})
    described = compiled.describe()
    assert described["instructions"] == "Shout the question 0."
    proposals = [c for c in lm.calls if "`proposed_instruction`" in c.messages[0]["content"]]
    assert [c.settings for c in proposals] == [{"n": 2, "temperature": 1.4}, {"n": 3, "temperature": 1.4}]
    with pytest.raises(InputError, match="eval_kwargs 'max_errors' not accepted"):
        dspex.compile(optimizer, program(lm), trainset=TRAIN, eval_kwargs={"max_errors": 3})
