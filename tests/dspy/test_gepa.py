"""``gepa`` through ``dspy.GEPA`` (the ``gepa`` package DSPy pins), on the scripted toy task.

A real GEPA run with a budget of 16 metric calls: the reflection LM reads the failed traces with
the metric's feedback and proposes the instruction that makes the task LM answer, and the
compiled program carries it, saves it and loads back with it.
"""

from __future__ import annotations

import json

import dspy
import pytest
from scripted_task import DEV, PROPOSAL, TRAIN, score, toy_lm

import dspex_core as dspex
from dspex_core.errors import InputError


def feedback(gold, pred, trace=None, pred_name=None, pred_trace=None):
    ok = gold.answer == pred.answer
    return {"score": float(ok), "feedback": "Correct." if ok else f"Expected {gold.answer!r}: answer in capitals."}


def test_gepa_evolves_the_instruction_from_the_feedback_and_the_score_rises(tmp_path):
    lm = toy_lm()
    dspex.configure(lm=lm)
    seen = []

    def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
        seen.append((type(gold), type(pred), pred_name))
        return feedback(gold, pred, trace, pred_name, pred_trace)

    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.GEPA.create(metric=metric, reflection_lm=lm, max_metric_calls=16,
                                  reflection_minibatch_size=2)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN, valset=DEV)
    assert compiled.module_type == "predict" and compiled.backend == "dspy"
    assert PROPOSAL in compiled.describe()["instructions"]
    assert PROPOSAL not in program.describe()["instructions"]  # the program itself is untouched
    assert (score(program, DEV), score(compiled, DEV)) == (0.0, 100.0)
    # the metric got dspex's records, and GEPA asked it about the predictor by name
    assert {(g, p) for g, p, _ in seen} == {(dspex.Example, dspex.Prediction)}
    assert "self" in {name for _, _, name in seen}
    path = tmp_path / "gepa.json"
    compiled.save(path)
    assert PROPOSAL in json.loads(path.read_text())["signature"]["instructions"]
    loaded = dspex.load(path, implementation="dspy")
    assert score(loaded, DEV) == 100.0


def test_a_plain_three_argument_metric_works_and_the_score_is_its_feedback():
    lm = toy_lm()
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.GEPA.create(metric=lambda example, pred, trace=None: float(example.answer == pred.answer),
                                  reflection_lm=lm, max_metric_calls=12, reflection_minibatch_size=2)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    assert score(compiled, DEV) == 100.0


@pytest.mark.parametrize("options, match", [
    (dict(reflection_lm="x"), "exactly one budget"),
    (dict(auto="light", max_metric_calls=3, reflection_lm="x"), "exactly one budget: .*auto='light', max_metric"),
    (dict(auto="huge"), "auto must be one of 'light', 'medium', 'heavy'"),
    (dict(max_metric_calls=0), "max_metric_calls must be a positive integer"),
    (dict(max_metric_calls=5), "needs reflection_lm="),
    (dict(max_metric_calls=5, reflection_lm=None, track_best_outputs=True, instruction_proposer=print),
     "track_best_outputs=True needs track_stats=True"),
    (dict(max_metric_calls=5, budget=3), "unknown option.*'budget'.*valid: metric, auto"),
])
def test_bad_config_is_an_input_error_at_create(options, match):
    options = {k: (toy_lm() if v == "x" else v) for k, v in options.items()}
    with pytest.raises(InputError, match=match):
        dspex.GEPA.create(metric=feedback, **options)


def test_gepa_needs_a_metric_and_takes_no_teacher():
    with pytest.raises(InputError, match=r"gepa needs metric=.*dspex.GEPA.create"):
        dspex.GEPA.create(max_metric_calls=5, reflection_lm=toy_lm())
    dspex.configure(lm=toy_lm())
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.GEPA.create(metric=feedback, max_metric_calls=5, reflection_lm=toy_lm())
    with pytest.raises(InputError, match="gepa takes no teacher"):
        dspex.compile(optimizer, program, trainset=TRAIN, teacher=program)


def test_unwrap_gives_a_dspy_gepa_made_from_the_config():
    optimizer = dspex.GEPA.create(metric=feedback, max_metric_calls=7, reflection_lm=toy_lm())
    made = optimizer.unwrap()
    assert isinstance(made, dspy.GEPA) and made.max_metric_calls == 7 and made.metric_fn is feedback
