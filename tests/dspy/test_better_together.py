"""``better_together`` through ``dspy.BetterTogether``, with prompt optimizers only.

The optimizers come as dspex optimizer references named as the strategy names them; DSPy's
default strategy fine-tunes weights (``BootstrapFinetune``), which dspex does not serve, so a
strategy naming an optimizer that was not given is refused before any LM call.
"""

from __future__ import annotations

import dspy
import pytest
from scripted_task import DEV, PROPOSAL, TRAIN, exact, score, toy_lm

import dspex_core as dspex
from dspex_core.errors import InputError


def test_better_together_runs_the_strategy_and_keeps_the_best_program():
    lm = toy_lm()
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer", implementation="dspy")
    optimizer = dspex.BetterTogether.create(
        metric=exact,
        p=dspex.LabeledFewShot.create(k=2, implementation="dspy"),
        q=dspex.COPRO.create(metric=exact, breadth=2, depth=1, implementation="dspy"))
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV, strategy="q -> p", seed=0)
    assert compiled.module_type == "chain_of_thought" and compiled.backend == "dspy"
    info = compiled.describe()
    assert PROPOSAL in info["instructions"] or info["demos"]
    assert (score(program, DEV), score(compiled, DEV)) == (0.0, 100.0)
    # the result runs under dspex's LM like any program: no LM is left on its predictors
    assert all(p.lm is None for p in compiled.unwrap().predictors())
    assert program.describe()["demos"] == [] and PROPOSAL not in program.describe()["instructions"]


def test_better_together_refuses_what_would_fine_tune_or_is_not_an_optimizer():
    with pytest.raises(InputError, match="prompt optimizers only"):
        dspex.BetterTogether.create(metric=exact)
    with pytest.raises(InputError, match="p= must be a dspex optimizer reference"):
        dspex.BetterTogether.create(metric=exact, p=dspy.LabeledFewShot(k=2))
    with pytest.raises(InputError, match="better_together needs metric="):
        dspex.BetterTogether.create(p=dspex.LabeledFewShot.create(k=2, implementation="dspy"))
    ensemble = dspex.Ensemble.create(reduce_fn="majority")
    with pytest.raises(InputError, match="'ensemble' optimizer"):
        dspex.BetterTogether.create(metric=exact, p=ensemble)


def test_a_strategy_naming_an_optimizer_not_given_is_refused_before_any_call():
    lm = toy_lm()
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.BetterTogether.create(metric=exact, p=dspex.LabeledFewShot.create(k=2, implementation="dspy"))
    with pytest.raises(InputError, match=r"names 'w'.*optimizers given: p \(DSPy's default strategy is 'p -> w -> p'"):
        dspex.compile(optimizer, program, trainset=TRAIN)
    with pytest.raises(InputError, match="names 'x'"):
        dspex.compile(optimizer, program, trainset=TRAIN, strategy="p -> x")
    with pytest.raises(InputError, match=r"'nope'.*optimizer_compile_args\['p'\]"):
        dspex.compile(optimizer, program, trainset=TRAIN, strategy="p", optimizer_compile_args={"p": {"nope": 1}})
    with pytest.raises(InputError, match="unknown option.*'rounds'.*valid: teacher"):
        dspex.compile(optimizer, program, trainset=TRAIN, strategy="p", rounds=2)
    assert lm.calls == []


def test_unwrap_gives_dspys_better_together_with_dspy_optimizers():
    optimizer = dspex.BetterTogether.create(metric=exact, p=dspex.LabeledFewShot.create(k=2, implementation="dspy"))
    made = optimizer.unwrap()
    assert isinstance(made, dspy.BetterTogether) and isinstance(made.optimizers["p"], dspy.LabeledFewShot)
