"""evaluate (dspy.Evaluate) and metrics (dspy.evaluate.metrics) through dspex."""

from __future__ import annotations

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM


def answer_for(messages, settings):
    question = messages[-1]["content"]
    return chat(answer="4" if "2+2" in question else "wrong")


def devset():
    return [dspex.Example(question="2+2?", answer="4").with_inputs("question"),
            dspex.Example(question="3+3?", answer="6").with_inputs("question")]


def exact(example, pred, trace=None):
    assert isinstance(example, dspex.Example) and isinstance(pred, dspex.Prediction)
    return example.answer == pred.answer


def test_evaluate_scores_a_program_reference():
    dspex.configure(lm=RecordingLM(answer_for))
    program = dspy_ref("predict", "question -> answer")
    ev = dspex.Evaluate.create(devset=devset(), metric=exact, num_threads=2, implementation="dspy")
    result = ev(program=program)
    assert result.score == 50.0
    assert [(e.question, p.answer, s) for e, p, s in result.results] == [("2+2?", "4", True), ("3+3?", "wrong", False)]


def test_evaluate_a_plain_callable_and_the_context_lm_reaches_worker_threads():
    lm = RecordingLM(answer_for)
    program = dspy_ref("predict", "question -> answer")
    ev = dspex.Evaluate.create(devset=devset(), metric=exact, num_threads=2, implementation="dspy")
    with dspex.context(lm=lm):
        assert ev(program=program).score == 50.0
    assert lm.call_count == 2
    assert ev(program=lambda question: dspex.Prediction(answer="4")).score == 50.0


def test_a_metric_that_raises_counts_as_a_failure_as_in_dspy():
    def picky_metric(example, pred, trace=None):
        if example.question == "3+3?":
            raise KeyError("no such field")
        return example.answer == pred.answer

    ev = dspex.Evaluate.create(devset=devset(), metric=picky_metric, failure_score=0.0, implementation="dspy")
    result = ev(program=lambda question: dspex.Prediction(answer="4"))
    assert result.score == 50.0
    strict = dspex.Evaluate.create(devset=devset(), metric=picky_metric, max_errors=1, num_threads=1,
                                   implementation="dspy")
    with pytest.raises(dspex.EvaluationError, match="KeyError") as info:
        strict(program=lambda question: dspex.Prediction(answer="4"))
    assert [(index, type(exc)) for index, exc in info.value.errors] == [(1, KeyError)]


def test_program_failures_score_failure_score_up_to_max_errors():
    def flaky(question):
        if question == "3+3?":
            raise RuntimeError("boom")
        return dspex.Prediction(answer="4")

    ev = dspex.Evaluate.create(devset=devset(), metric=exact, failure_score=0.0, max_errors=5, implementation="dspy")
    assert ev(program=flaky).score == 50.0
    strict = dspex.Evaluate.create(devset=devset(), metric=exact, max_errors=1, num_threads=1,
                                   implementation="dspy")
    with pytest.raises(dspex.EvaluationError, match="boom") as info:
        strict(program=flaky)
    assert [index for index, _ in info.value.errors] == [1]


@pytest.mark.parametrize("options, needle", [
    ({"devset": []}, "non-empty devset"),
    ({}, "devset="),
    ({"devset": [{"question": "q"}]}, "dict"),
    ({"devset": [dspex.Example(question="q")]}, "with_inputs"),
    ({"devset": devset(), "metric": 3}, "metric must be"),
    ({"devset": devset(), "metrik": exact}, "unknown option"),
])
def test_bad_evaluate_options(options, needle):
    with pytest.raises(dspex.InputError, match=needle):
        dspex.Evaluate.create(implementation="dspy", **options)


def test_evaluate_without_metric():
    ev = dspex.Evaluate.create(devset=devset(), implementation="dspy")
    with pytest.raises(dspex.InputError, match="needs a metric"):
        ev(program=lambda question: dspex.Prediction(answer="4"))


def test_metrics_match_dspys_functions():
    from dspy.evaluate import metrics

    em = dspex.Metrics.create("exact_match", implementation="dspy")
    assert em(prediction="The Eiffel Tower", reference=["eiffel tower", "Louvre"]).score == metrics.EM(
        "The Eiffel Tower", ["eiffel tower", "Louvre"])
    f1 = dspex.Metrics.create("f1", implementation="dspy")
    assert f1(prediction="Eiffel Tower is in Paris", reference="Paris").score == pytest.approx(1 / 3)
    norm = dspex.Metrics.create("normalize_text", implementation="dspy")
    assert norm(text="The  Eiffel, Tower!").text == "eiffel tower"
    aem = dspex.Metrics.create("answer_exact_match", frac=0.5, implementation="dspy")
    assert aem(example=dspex.Example(answer="Eiffel Tower"), pred=dspex.Prediction(answer="the Eiffel")).score
    apm = dspex.Metrics.create("answer_passage_match", implementation="dspy")
    assert apm(example=dspex.Example(answer="Paris"), pred=dspex.Prediction(context=["It is in Paris."])).score
    pm = dspex.Metrics.create("passage_match", implementation="dspy")
    assert not pm(passages=["Rome is old."], answers=["Paris"]).score


def test_bad_metric_inputs():
    with pytest.raises(dspex.InputError, match="unknown metric"):
        dspex.Metrics.create("bleu", implementation="dspy")
    with pytest.raises(dspex.InputError, match="frac= only"):
        dspex.Metrics.create("f1", frac=0.5, implementation="dspy")
    em = dspex.Metrics.create("exact_match", implementation="dspy")
    with pytest.raises(dspex.InputError, match="takes prediction, reference"):
        em(prediction="x")
    with pytest.raises(dspex.InputError, match="reference must be"):
        em(prediction="x", reference=3)


def test_executor_threads_is_dspys_own_and_another_is_refused_naming_it():
    dspex.configure(lm=RecordingLM(answer_for))
    program = dspy_ref("predict", "question -> answer")
    ev = dspex.Evaluate.create(devset=devset(), metric=exact, executor="threads", implementation="dspy")
    assert dspex.execute(ev, {"program": program}, executor="threads").score == ev(program=program).score
    with pytest.raises(dspex.CapabilityError, match="executor 'asyncio' is served by the native evaluate"):
        dspex.Evaluate.create(devset=devset(), metric=exact, executor="asyncio", implementation="dspy")
    with pytest.raises(dspex.CapabilityError, match="executor 'asyncio'"):
        dspex.execute(ev, {"program": program}, executor="asyncio")
    with pytest.raises(dspex.InputError, match="no executor named 'rya'; installed: asyncio, threads"):
        dspex.Evaluate.create(devset=devset(), metric=exact, executor="rya", implementation="dspy")
