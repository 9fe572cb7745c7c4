"""``knn_few_shot`` and ``ensemble`` through dspy, on the scripted toy task.

KNNFewShot embeds each call's inputs with the vectorizer given (here a deterministic local
function: letter counts, no model) and gives the program the nearest trainset examples as demos
for that call. Ensemble runs several programs and reduces their predictions to one.
"""

from __future__ import annotations

import dspy
import pytest
from scripted_task import DEV, TRAIN, exact, score, toy_lm

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError


def letters(texts: list[str]) -> list[list[float]]:
    """A deterministic embedder: how often each letter occurs in the value (KNN embeds
    ``"question: <word>"``), as a unit vector, so words sharing letters are near."""
    vectors = []
    for text in texts:
        word = text.rsplit(": ", 1)[-1].lower()
        counts = [float(word.count(c)) for c in "abcdefghijklmnopqrstuvwxyz"]
        norm = sum(v * v for v in counts) ** 0.5 or 1.0
        vectors.append([v / norm for v in counts])
    return vectors


def test_knn_few_shot_gives_each_call_its_nearest_examples_as_demos():
    lm = toy_lm()
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    optimizer = dspex.KNNFewShot.create(k=1, vectorizer=letters, max_bootstrapped_demos=0)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)
    assert compiled.module_type == "predict" and compiled.backend == "dspy"
    assert (score(program, DEV), score(compiled, DEV)) == (0.0, 100.0)
    lm.calls.clear()
    assert compiled(question="maple").answer == "MAPLE"
    (request,) = lm.calls
    demo = request.messages[1]["content"]  # the one demo: the trainset word nearest to "maple"
    assert "apple" in demo and all(w not in demo for w in ("river", "stone", "cloud"))


@pytest.mark.parametrize("options, match", [
    (dict(vectorizer=letters), "knn_few_shot needs k="),
    (dict(k=0, vectorizer=letters), "k must be a positive integer"),
    (dict(k=2, vectorizer=42), "vectorizer must be a function"),
    (dict(k=2, vectorizer=letters, trainset=TRAIN), r"unknown option.*'trainset'.*valid: k, vectorizer"),
])
def test_knn_few_shot_bad_config_is_an_input_error(options, match):
    with pytest.raises(InputError, match=match):
        dspex.KNNFewShot.create(**options)


def test_knn_few_shot_has_no_dspy_object_before_a_compile():
    with pytest.raises(CapabilityError, match="made from the trainset"):
        dspex.KNNFewShot.create(k=1, vectorizer=letters).unwrap()


def _programs(lm):
    plain = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    taught = dspex.compile(dspex.LabeledFewShot.create(k=2, implementation="dspy"), plain, trainset=TRAIN)
    return plain, taught


def test_ensemble_by_majority_takes_the_most_common_answer():
    lm = toy_lm()
    dspex.configure(lm=lm)
    plain, taught = _programs(lm)
    right = dspex.compile(dspex.Ensemble.create(reduce_fn="majority"), [taught, plain, taught])
    wrong = dspex.compile(dspex.Ensemble.create(reduce_fn="majority"), [plain, taught, plain])
    assert right.module_type == "dspy_module" and right.backend == "dspy"
    lm.calls.clear()
    assert right(question="tiger").answer == "TIGER" and len(lm.calls) == 3
    assert wrong(question="tiger").answer == "tiger"
    assert score(right, DEV) == 100.0 and isinstance(right.unwrap(), dspy.Module)


def test_ensemble_with_a_reduce_function_of_dspex_predictions_and_a_size():
    lm = toy_lm()
    dspex.configure(lm=lm)
    plain, taught = _programs(lm)
    given = []

    def loudest(predictions):
        given.append(predictions)
        return max(predictions, key=lambda p: sum(c.isupper() for c in p.answer))

    ensemble = dspex.compile(dspex.Ensemble.create(reduce_fn=loudest, size=2), [plain, taught])
    assert ensemble(question="ocean").answer == "OCEAN"
    assert len(given[0]) == 2 and all(isinstance(p, dspex.Prediction) for p in given[0])
    with pytest.raises(InputError, match="missing input field.*'question'"):
        ensemble(quest="ocean")


def test_ensemble_takes_a_list_of_programs_and_nothing_else():
    dspex.configure(lm=toy_lm())
    plain = dspex.Predict.create("question -> answer", implementation="dspy")
    ensemble = dspex.Ensemble.create(reduce_fn="majority", size=3)
    with pytest.raises(InputError, match=r"dspex.compile\(ensemble, \[ref, ref, ...\]\)"):
        dspex.compile(ensemble, plain, trainset=TRAIN)
    with pytest.raises(InputError, match="size=3 but only 2 programs"):
        dspex.compile(ensemble, [plain, plain])
    with pytest.raises(InputError, match="takes only the list of programs"):
        dspex.compile(dspex.Ensemble.create(reduce_fn="majority"), [plain, plain], trainset=TRAIN)
    with pytest.raises(InputError, match="empty list of programs"):
        dspex.compile(ensemble, [])
    with pytest.raises(InputError, match="reduce_fn="):
        dspex.Ensemble.create()
    with pytest.raises(InputError, match="deterministic=True"):
        dspex.Ensemble.create(reduce_fn="majority", deterministic=True)
    copro = dspex.COPRO.create(metric=exact, implementation="dspy")
    with pytest.raises(InputError, match="must be a ModuleRef"):
        dspex.compile(copro, [plain, plain], trainset=TRAIN)
