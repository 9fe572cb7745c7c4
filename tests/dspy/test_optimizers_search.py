"""Instruction-searching optimizers (copro, mipro_v2, mipro) on the toy task, kept small.

The scripted LM of ``test_optimizers`` answers the toy task only when the instructions say
``SHOUT`` (or, where noted, when it also sees demos); its instruction proposals say exactly
that. So a compiled program scores better only if the optimizer really asked for proposals,
scored them and kept the winner.
"""

from __future__ import annotations

import pytest
from test_optimizers import (
    DEV,
    PROPOSAL,
    TRAIN,
    examples,
    exact,
    parse_prompt,
    score,
    toy_lm,
    with_shout,
)

import dspex_core as dspex
from dspex_core.errors import InputError


def outputs_asked(lm):
    return [tuple(parse_prompt(c.messages)["outputs"]) for c in lm.calls]


# -- copro ---------------------------------------------------------------------------------

def test_copro_proposes_instructions_scores_them_and_keeps_the_best():
    lm = toy_lm(with_shout)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    before = score(program, DEV)
    optimizer = dspex.COPRO.create(metric=exact, breadth=2, depth=2, init_temperature=0.5)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, eval_kwargs={"num_threads": 1})
    after = score(compiled, DEV)
    assert (before, after) == (0.0, 100.0)
    info = compiled.describe()
    assert info["instructions"] == PROPOSAL
    assert program.describe()["instructions"] != PROPOSAL
    asked = outputs_asked(lm)
    proposals = ("proposed_instruction", "proposed_prefix_for_output_field")
    assert asked.count(proposals) == 2  # the first proposal, then one more round with the attempts so far
    first = next(c for c in lm.calls if tuple(parse_prompt(c.messages)["outputs"]) == proposals)
    assert "basic_instruction" in parse_prompt(first.messages)["inputs"]
    assert first.settings["n"] == 1 and first.settings["temperature"] == 0.5
    later = [c for c in lm.calls if tuple(parse_prompt(c.messages)["outputs"]) == proposals][1]
    assert "attempted_instructions" in parse_prompt(later.messages)["inputs"]


def test_copro_rejects_a_breadth_dspy_cannot_use():
    with pytest.raises(InputError, match="breadth must be an integer greater than 1"):
        dspex.COPRO.create(metric=exact, breadth=1)
    with pytest.raises(InputError, match="needs metric="):
        dspex.COPRO.create(breadth=2)


# -- mipro_v2 ------------------------------------------------------------------------------

def test_mipro_v2_proposes_grounded_instructions_and_searches_demos_and_instructions():
    lm = toy_lm(lambda p: with_shout(p) and p["demos"])  # needs the proposal AND demos
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    before = score(program, DEV)
    optimizer = dspex.MIPROv2.create(metric=exact, auto=None, num_candidates=2, max_bootstrapped_demos=1,
                                     max_labeled_demos=2, num_threads=1, seed=3)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV, num_trials=4, minibatch=False)
    after = score(compiled, DEV)
    assert (before, after) == (0.0, 100.0)
    info = compiled.describe()
    assert info["instructions"] == PROPOSAL and info["demos"]
    asked = set(outputs_asked(lm))
    # The grounded proposer: dataset summary, program and module descriptions, then instructions.
    assert {("observations",), ("summary",), ("program_description",), ("module_description",),
            ("proposed_instruction",)} <= asked


def test_mipro_v2_auto_light_runs_on_a_tiny_trainset():
    lm = toy_lm(with_shout)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.MIPROv2.create(metric=exact, auto="light", max_bootstrapped_demos=0, max_labeled_demos=0,
                                     num_threads=1)
    compiled = dspex.compile(optimizer, program, trainset=examples(["alpha", "bravo", "delta", "gamma", "kilo"]))
    assert compiled.describe()["instructions"] == PROPOSAL
    assert compiled(question="zulu").answer == "ZULU"


@pytest.mark.parametrize(("create", "compile_options", "message"), [
    ({"auto": None}, {}, "auto=None needs num_candidates"),
    ({"num_candidates": 3}, {}, "sets num_candidates itself"),
    ({"auto": "huge"}, {}, "auto must be one of"),
    ({"auto": None, "num_candidates": 2}, {}, "needs num_trials="),
    ({}, {"num_trials": 3}, "sets num_trials itself"),
    ({"auto": None, "num_candidates": 2}, {"num_trials": 2}, "minibatch_size=35 exceeds"),
    ({}, {"requires_permission_to_run": False}, "'requires_permission_to_run'"),
])
def test_mipro_v2_bad_settings_fail_before_any_lm_call(create, compile_options, message):
    lm = toy_lm(with_shout)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    with pytest.raises(InputError, match=message):
        optimizer = dspex.MIPROv2.create(metric=exact, **create)
        dspex.compile(optimizer, program, trainset=TRAIN, **compile_options)
    assert lm.call_count == 0


def test_mipro_v2_without_a_valset_needs_two_examples():
    dspex.configure(lm=toy_lm(with_shout))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    with pytest.raises(InputError, match="at least 2 examples"):
        dspex.compile(dspex.MIPROv2.create(metric=exact), program, trainset=TRAIN[:1])


# -- mipro ---------------------------------------------------------------------------------

def test_mipro_is_served_by_dspy_mipro_v2():
    lm = toy_lm(with_shout)
    dspex.configure(lm=lm)
    optimizer = dspex.MIPRO.create(metric=exact, auto=None, num_candidates=2, max_bootstrapped_demos=0,
                                   max_labeled_demos=0, num_threads=1)
    assert optimizer.module_type == "mipro" and optimizer.describe()["optimizer"] == "dspy.MIPROv2"
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV, num_trials=3, minibatch=False)
    assert score(compiled, DEV) == 100.0
    assert compiled.describe()["instructions"] == PROPOSAL


def test_copro_instructions_survive_save_and_load_in_plain_dspy(tmp_path):
    import dspy
    from dspy_helpers import PlainLM, chat

    from dspex_core.testing import RecordingLM

    dspex.configure(lm=toy_lm(with_shout))
    program = dspex.ChainOfThought.create("question -> answer", implementation="dspy")
    optimizer = dspex.COPRO.create(metric=exact, breadth=2, depth=1)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, eval_kwargs={"num_threads": 1})
    path = tmp_path / "copro.json"
    compiled.save(path)

    reply = chat(reasoning="Loud.", answer="OCEAN")
    recording = RecordingLM([reply])
    compiled(question="ocean", lm=recording)
    plain_lm = PlainLM([reply])
    loaded = dspy.ChainOfThought("question -> answer")
    loaded.load(str(path))
    with dspy.context(lm=plain_lm):
        loaded(question="ocean")
    assert PROPOSAL in recording.calls[0].messages[0]["content"]
    assert recording.calls[0].messages == plain_lm.messages[0]
