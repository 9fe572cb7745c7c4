"""``simba`` and ``infer_rules`` through dspy, on the scripted toy task (tiny budgets).

SIMBA's steps either append a successful trace as a demo or a rule the LM writes to the
instructions; InferRules bootstraps demos and appends the rules the LM induces from them. Either
way the compiled program answers the toy task and the original program does not.
"""

from __future__ import annotations

import dspy
import pytest
from scripted_task import DEV, PROPOSAL, TRAIN, WORDS, examples, exact, score, toy_lm

import dspex_core as dspex
from dspex_core.errors import InputError


def test_simba_runs_its_steps_and_keeps_a_better_program():
    lm = toy_lm(lucky_rollout=1)  # SIMBA's second sample of each example is right: the outputs vary
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.SIMBA.create(metric=exact, bsize=2, num_candidates=2, max_steps=2, max_demos=1)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, seed=1)
    info = compiled.describe()
    assert compiled.module_type == "predict" and (info["demos"] or PROPOSAL in info["instructions"])
    assert (score(program, DEV), score(compiled, DEV)) == (0.0, 100.0)
    assert program.describe()["demos"] == [] and PROPOSAL not in program.describe()["instructions"]
    state = compiled.implementation.dump_state(compiled.state)
    loaded = dspex.load(state, module_type="predict", signature="question -> answer", implementation="dspy")
    assert score(loaded, DEV) == 100.0


def test_simba_says_when_the_trainset_is_smaller_than_a_mini_batch():
    dspex.configure(lm=toy_lm())
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.SIMBA.create(metric=exact, bsize=8)
    with pytest.raises(InputError, match=r"trainset has 4 examples, fewer than one mini-batch \(bsize=8\)"):
        dspex.compile(optimizer, program, trainset=TRAIN)


@pytest.mark.parametrize("options, match", [
    (dict(bsize=0), "bsize must be a positive integer"),
    (dict(max_steps="2"), "max_steps must be a positive integer"),
    (dict(steps=2), "unknown option.*'steps'.*valid: metric, bsize"),
    (dict(metric=None), "simba needs metric="),
])
def test_simba_bad_config_is_an_input_error(options, match):
    with pytest.raises(InputError, match=match):
        dspex.SIMBA.create(**{"metric": exact, **options})


def test_infer_rules_appends_the_induced_rules_to_the_instructions():
    lm = toy_lm()
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer", implementation="dspy")
    optimizer = dspex.InferRules.create(metric=exact, num_candidates=1, num_rules=2, max_bootstrapped_demos=0,
                                        max_labeled_demos=0)
    compiled = dspex.compile(optimizer, program, trainset=examples(WORDS[:2]), valset=DEV)
    instructions = compiled.describe()["instructions"]
    assert "Please adhere to the following rules" in instructions and PROPOSAL in instructions
    assert compiled.module_type == "chain_of_thought" and compiled.describe()["demos"] == []
    assert (score(program, DEV), score(compiled, DEV)) == (0.0, 100.0)
    assert isinstance(dspex.InferRules.create(metric=exact, num_rules=3).unwrap(), dspy.InferRules)


def test_infer_rules_takes_bootstrap_few_shots_options_and_names_the_valid_ones():
    with pytest.raises(InputError, match=r"unknown option.*'rules'.*num_candidates, num_rules.*max_bootstrapped_demos"):
        dspex.InferRules.create(metric=exact, rules=3)
    with pytest.raises(InputError, match="infer_rules needs metric="):
        dspex.InferRules.create(num_rules=3)
