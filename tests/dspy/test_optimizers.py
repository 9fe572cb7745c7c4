"""The optimizers through the dspy backend, offline, on a toy task with a scripted LM.

The toy task: ``question -> answer`` where the answer is the question's word in capitals.
The scripted LM (a ``RecordingLM`` with a responder that reads DSPy's ChatAdapter prompt)
answers correctly only when the prompt shows it how: when it contains demos, or when the
instructions contain the word ``SHOUT`` (which is what its instruction proposals say). So
an optimizer that really puts demos or better instructions into the program raises the
score, and one that does not leaves it at zero.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import dspy
import pytest
from dspy_helpers import PlainLM, chat

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError
from dspex_core.testing import RecordingLM

WORDS = ["apple", "river", "stone", "cloud", "tiger", "maple", "ocean", "piano"]
PROPOSAL = "Read the question and SHOUT the word back in capitals."

#: Replies for the fields optimizers ask their prompt model for (COPRO, MIPROv2's proposer).
PROPOSER_FIELDS = {
    "proposed_instruction": PROPOSAL,
    "proposed_prefix_for_output_field": "Answer:",
    "observations": "COMPLETE",
    "summary": "Single words to be answered in capitals.",
    "program_description": "A program that answers a question.",
    "module_description": "Answers the question.",
}


def parse_prompt(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a ChatAdapter prompt asks: output fields, instructions, inputs, demos or not."""
    system = messages[0]["content"]
    section = system.split("Your output fields are:", 1)[1].split("All interactions", 1)[0]
    outputs = re.findall(r"^\d+\. `(\w+)`", section, re.M)
    instructions = system.split("your objective is:", 1)[1]
    last = messages[-1]["content"]
    inputs = dict(re.findall(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond|\Z)", last, re.S))
    return {"outputs": outputs, "instructions": instructions, "inputs": inputs, "demos": len(messages) > 2}


def toy_responder(knows: Callable[[dict[str, Any]], bool]) -> Callable[..., str]:
    """The scripted LM's replies: the toy task answered correctly iff ``knows(prompt)``."""
    def reply(messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        prompt = parse_prompt(messages)
        if prompt["outputs"][-1:] == ["answer"] and "question" in prompt["inputs"]:
            word = prompt["inputs"]["question"].strip()
            answer = word.upper() if knows(prompt) else word
            fields = {"reasoning": "Think."} if "reasoning" in prompt["outputs"] else {}
            return chat(**fields, answer=answer)
        return chat(**{name: PROPOSER_FIELDS.get(name, "notes") for name in prompt["outputs"]})
    return reply


def toy_lm(knows: Callable[[dict[str, Any]], bool]) -> RecordingLM:
    """The scripted LM: a ``RecordingLM`` replying with :func:`toy_responder`."""
    return RecordingLM(toy_responder(knows))


def with_demos(prompt: dict[str, Any]) -> bool:
    return prompt["demos"]


def with_shout(prompt: dict[str, Any]) -> bool:
    return "SHOUT" in prompt["instructions"]


def examples(words: list[str]) -> list[dspex.Example]:
    return [dspex.Example(question=w, answer=w.upper()).with_inputs("question") for w in words]


def exact(example: Any, pred: Any, trace: Any = None) -> bool:
    return example.answer == pred.answer


def score(ref: Any, devset: list[dspex.Example]) -> float:
    """dspex's Evaluate (on the dspy backend): percent of exact answers."""
    evaluate = dspex.Evaluate.create(devset=devset, metric=exact, num_threads=1)
    return dspex.execute(evaluate, {"program": ref}).score


TRAIN = examples(WORDS[:4])
DEV = examples(WORDS[4:])


# -- labeled_few_shot ---------------------------------------------------------------------

def test_labeled_few_shot_puts_trainset_examples_in_as_demos_and_the_score_rises():
    dspex.configure(lm=toy_lm(with_demos))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    before = score(program, DEV)
    optimizer = dspex.LabeledFewShot.create(k=3)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    after = score(compiled, DEV)
    assert (before, after) == (0.0, 100.0)
    assert isinstance(compiled, dspex.ModuleRef) and compiled is not program
    assert compiled.backend == "dspy" and compiled.module_type == "predict" and compiled.handle != program.handle
    demos = compiled.describe()["demos"]
    assert len(demos) == 3 and all(d.toDict() in [e.toDict() for e in TRAIN] for d in demos)
    assert program.describe()["demos"] == []  # the program itself is untouched


def test_labeled_few_shot_takes_no_metric_as_in_dspy():
    with pytest.raises(InputError, match=r"'metric'.*valid: k"):
        dspex.LabeledFewShot.create(metric=exact)


# -- bootstrap_few_shot -------------------------------------------------------------------

def test_bootstrap_few_shot_keeps_traces_the_metric_accepts_as_demos():
    lm = toy_lm(with_demos)
    dspex.configure(lm=lm)
    seen = []

    def metric(example, pred, trace=None):
        seen.append((example, pred, trace))
        return example.answer == pred.answer

    program = dspex.ChainOfThought.create("question -> answer", implementation="dspy")
    before = score(program, DEV)
    optimizer = dspex.BootstrapFewShot.create(metric=metric, max_bootstrapped_demos=2, max_labeled_demos=2)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    after = score(compiled, DEV)
    assert (before, after) == (0.0, 100.0)
    demos = compiled.describe()["demos"]
    # Bootstrapped demos carry the teacher's full trace (reasoning included) and DSPy's mark.
    assert len(demos) == 2 and all(d["augmented"] is True and d["reasoning"] == "Think." for d in demos)
    assert [d["answer"] for d in demos] == [d["question"].upper() for d in demos]
    # The metric saw the user's own examples and dspex predictions, with DSPy's trace.
    assert seen and all(any(ex is t for t in TRAIN) for ex, _, _ in seen)
    assert all(isinstance(p, dspex.Prediction) and isinstance(t, list) for _, p, t in seen)


def test_bootstrap_few_shot_with_a_failing_teacher_bootstraps_nothing():
    dspex.configure(lm=toy_lm(lambda prompt: False))  # never right: no trace passes the metric
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=0)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    assert compiled.describe()["demos"] == []


def test_bootstrap_few_shot_teacher_option_takes_a_module_ref():
    lm = toy_lm(with_demos)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    teacher = dspex.Predict.create("question -> answer", implementation="dspy", demos=TRAIN[:1])
    optimizer = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=0)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, teacher=teacher)
    demos = compiled.describe()["demos"]
    assert len(demos) == 2 and all(d["augmented"] for d in demos)
    assert score(compiled, DEV) == 100.0


# -- bootstrap_few_shot_with_random_search -----------------------------------------------

def test_random_search_scores_candidates_on_the_valset_and_keeps_the_best():
    lm = toy_lm(with_demos)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    before = score(program, DEV)
    optimizer = dspex.BootstrapFewShotWithRandomSearch.create(
        metric=exact, num_candidate_programs=1, max_bootstrapped_demos=2, max_labeled_demos=2, num_threads=1)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV)
    after = score(compiled, DEV)
    assert (before, after) == (0.0, 100.0)
    assert compiled.describe()["demos"]
    # The zero-shot baseline was scored on the valset too (and failed): the valset reached DSPy.
    asked = [parse_prompt(c.messages)["inputs"].get("question") for c in lm.calls if len(c.messages) == 2]
    assert set(WORDS[4:]) <= set(asked)


def test_random_search_needs_a_metric_and_a_non_empty_valset():
    with pytest.raises(InputError, match="needs metric="):
        dspex.BootstrapFewShotWithRandomSearch.create()
    dspex.configure(lm=toy_lm(with_demos))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.BootstrapFewShotWithRandomSearch.create(metric=exact, num_candidate_programs=1)
    with pytest.raises(InputError, match="valset is empty"):
        dspex.compile(optimizer, program, trainset=TRAIN, valset=[])


# -- saving and loading ---------------------------------------------------------------------

def test_a_compiled_program_saves_in_dspy_json_and_plain_dspy_sends_the_same_messages(tmp_path):
    dspex.configure(lm=toy_lm(with_demos))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    path = tmp_path / "compiled.json"
    compiled.save(path)

    reply = chat(answer="OCEAN")
    recording = RecordingLM([reply])
    assert compiled(question="ocean", lm=recording).answer == "OCEAN"

    plain_lm = PlainLM([reply])
    loaded = dspy.Predict("question -> answer")
    loaded.load(str(path))
    with dspy.context(lm=plain_lm):
        assert loaded(question="ocean").answer == "OCEAN"
    assert recording.calls[0].messages == plain_lm.messages[0]
    assert len(loaded.demos) == len(compiled.describe()["demos"]) == 3


# -- programs from other backends ----------------------------------------------------------

def test_a_program_from_another_backend_is_rebuilt_on_dspy_from_its_spec_and_options():
    dspex.configure(lm=toy_lm(with_demos))
    native_like = dspex.ModuleRef("native", "predict", object(), "default", "question -> answer",
                                  {"instructions": "Answer it."})
    compiled = dspex.compile(dspex.LabeledFewShot.create(k=2), native_like, trainset=TRAIN)
    assert compiled.backend == "dspy"
    info = compiled.describe()
    assert info["instructions"] == "Answer it." and len(info["demos"]) == 2
    assert score(compiled, DEV) == 100.0


def test_a_program_that_dspy_cannot_rebuild_is_a_clear_error():
    ref = dspex.ModuleRef("native", "predict", object(), "default", "question -> answer", {"native_only": 1})
    with pytest.raises(InputError, match="cannot rebuild it"):
        dspex.compile(dspex.LabeledFewShot.create(), ref, trainset=TRAIN)


# -- sessions ------------------------------------------------------------------------------

def test_a_compiled_program_belongs_to_the_current_session():
    dspex.configure(lm=toy_lm(with_demos))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    with dspex.session() as s:
        compiled = dspex.compile(dspex.LabeledFewShot.create(k=2), program, trainset=TRAIN)
        assert compiled.session_id == s.id
        assert compiled(question="tiger").answer == "TIGER"
    with pytest.raises(dspex.errors.SessionError):
        compiled(question="tiger")
    assert program(question="tiger").answer == "tiger"  # the default session's program lives on


# -- bad input -----------------------------------------------------------------------------

@pytest.fixture
def program():
    dspex.configure(lm=toy_lm(with_demos))
    return dspex.Predict.create("question -> answer", implementation="dspy")


def test_empty_trainset_is_rejected(program):
    with pytest.raises(InputError, match="non-empty trainset"):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=[])


@pytest.mark.parametrize(("item", "message"), [
    ({"question": "x", "answer": "X"}, r"trainset\[1\] is a dict"),
    (dspex.Example(question="x", answer="X"), r"trainset\[1\] has no inputs marked"),
    ("x", r"trainset\[1\] is a str"),
    (dspex.Example(q="x", answer="X").with_inputs("q"), r"trainset\[1\] lacks the program's input\(s\) 'question'"),
])
def test_bad_trainset_items_are_named_by_index(program, item, message):
    with pytest.raises(InputError, match=message):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=[TRAIN[0], item])


def test_a_metric_that_raises_is_named_with_the_example_and_keeps_its_cause(program):
    def broken_metric(example, pred, trace=None):
        raise KeyError("no such label")

    optimizer = dspex.BootstrapFewShot.create(metric=broken_metric, max_bootstrapped_demos=1)
    with pytest.raises(InputError, match=r"'.*broken_metric' raised KeyError.*trainset\[0\].*'apple'") as info:
        dspex.compile(optimizer, program, trainset=TRAIN)
    assert isinstance(info.value.__cause__, KeyError)


def test_a_metric_that_raises_during_evaluation_names_the_valset_example(program):
    def picky(example, pred, trace=None):
        if example.question == "ocean":
            raise ZeroDivisionError("boom")
        return example.answer == pred.answer

    optimizer = dspex.BootstrapFewShotWithRandomSearch.create(metric=picky, num_candidate_programs=1,
                                                            num_threads=1)
    with pytest.raises(InputError, match=r"'.*picky' raised ZeroDivisionError: boom on valset\[2\]") as info:
        dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_metric_that_is_not_callable_is_rejected_at_create():
    with pytest.raises(InputError, match="metric must be a callable"):
        dspex.BootstrapFewShot.create(metric="exact_match")


def test_an_optimizer_passed_as_the_program_is_rejected(program):
    optimizer = dspex.BootstrapFewShot.create(metric=exact)
    other = dspex.LabeledFewShot.create()
    with pytest.raises(InputError, match="the program is an optimizer"):
        dspex.compile(optimizer, other, trainset=TRAIN)


def test_a_program_passed_as_the_optimizer_is_rejected(program):
    optimizer = dspex.BootstrapFewShot.create(metric=exact)
    with pytest.raises(InputError, match="not an optimizer.*swap them"):
        dspex.compile(program, optimizer, trainset=TRAIN)


def test_unknown_options_list_the_valid_ones(program):
    with pytest.raises(InputError, match=r"'max_demos'.*valid: metric, metric_threshold, teacher_settings, "
                                         r"max_bootstrapped_demos, max_labeled_demos, max_rounds, max_errors"):
        dspex.BootstrapFewShot.create(metric=exact, max_demos=3)
    optimizer = dspex.BootstrapFewShot.create(metric=exact)
    with pytest.raises(InputError, match=r"'num_trials'.*\(dspex.compile\); valid: teacher"):
        dspex.compile(optimizer, program, trainset=TRAIN, num_trials=3)


def test_a_valset_is_rejected_by_optimizers_that_do_not_use_one(program):
    with pytest.raises(InputError, match="does not use a valset"):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=TRAIN, valset=DEV)


def test_optimizers_take_no_spec_and_are_not_executed():
    with pytest.raises(InputError, match="takes no spec"):
        dspex.BootstrapFewShot.create("question -> answer")
    optimizer = dspex.BootstrapFewShot.create(metric=exact, max_rounds=2)
    with pytest.raises(InputError, match="is an optimizer and is not executed"):
        dspex.execute(optimizer, {})
    info = optimizer.describe()
    assert info["optimizer"] == "dspy.BootstrapFewShot"
    assert info["config"] == {"metric": "exact", "max_rounds": 2}
    with pytest.raises(CapabilityError, match="save the program"):
        optimizer.save("x.json")


def test_no_language_model_is_a_clear_error():
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    with pytest.raises(InputError, match=r"dspex.configure\(lm="):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=TRAIN)


def test_the_programs_own_lm_runs_the_compile_and_the_compiled_program():
    lm = toy_lm(with_demos)  # given at create only: nothing configured
    program = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    compiled = dspex.compile(dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=1,
                                                           max_labeled_demos=1), program, trainset=TRAIN)
    calls = lm.call_count
    assert calls > 0
    assert compiled(question="piano").answer == "PIANO"
    assert lm.call_count == calls + 1


def test_a_bootstrapped_program_goes_back_in_as_teacher_not_as_program(program):
    bootstrap = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=1, max_labeled_demos=1)
    compiled = dspex.compile(bootstrap, program, trainset=TRAIN)
    with pytest.raises(InputError, match="already compiled.*teacher="):
        dspex.compile(bootstrap, compiled, trainset=TRAIN)
    again = dspex.compile(bootstrap, program, trainset=TRAIN, teacher=compiled)
    assert again.describe()["demos"]
    # Instruction-only optimizers take compiled programs as they are.
    labeled = dspex.compile(dspex.LabeledFewShot.create(k=1), compiled, trainset=TRAIN)
    assert len(labeled.describe()["demos"]) == 1


def test_a_teacher_with_another_structure_is_rejected(program):
    teacher = dspex.Predict.create("question, context -> answer", implementation="dspy")
    with pytest.raises(InputError, match="same predictors and signatures"):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=TRAIN, teacher=teacher)
    with pytest.raises(InputError, match="the teacher must be a ModuleRef"):
        dspex.compile(dspex.BootstrapFewShot.create(metric=exact), program, trainset=TRAIN, teacher="p")
