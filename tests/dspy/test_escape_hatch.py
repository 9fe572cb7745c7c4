"""The escape hatch to dspy: ``ref.unwrap()``, ``dspex.wrap(dspy_module)`` and
``dspex.dspy_call("dspy.path", ...)``, through the dspy backend.

A module built by hand in plain dspy becomes a dspex reference that runs under dspex's LM, and
that pipelines, evaluate, optimizers and sessions take like any other; ``unwrap`` hands back the
live dspy object of any dspy-backed reference; ``dspy_call`` reaches what dspex does not wrap.
"""

from __future__ import annotations

import dspy
import pytest
from dspy_helpers import chat
from scripted_task import DEV, TRAIN, score, toy_lm

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError, SessionError
from dspex_core.testing import RecordingLM


class Shout(dspy.Module):
    """A program written in plain dspy: one predictor, and Python around it."""

    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("question -> answer")

    def forward(self, question, suffix="!"):
        return dspy.Prediction(answer=self.answer(question=question).answer + suffix)


def test_a_wrapped_module_runs_under_dspexs_lm_and_unwraps_to_itself():
    lm = RecordingLM([chat(answer="Paris"), chat(answer="Rome")])
    dspex.configure(lm=lm)
    program = Shout()
    ref = dspex.wrap(program)
    assert (ref.backend, ref.module_type) == ("dspy", "dspy_module")
    assert ref(question="Capital of France?").answer == "Paris!"
    assert ref(question="Capital of Italy?", suffix="?").answer == "Rome?"
    assert "Capital of France?" in lm.calls[0].messages[-1]["content"]
    assert ref.unwrap() is program
    info = ref.describe()
    assert info["inputs"] == ["question"] and info["optional_inputs"] == ["suffix"] and info["dspy_class"] == "Shout"
    with pytest.raises(InputError, match="missing input field.*'question'"):
        ref(suffix="?")
    with pytest.raises(InputError, match=r"unknown input field.*'questio' \(did you mean 'question'"):
        ref(questio="x")


def test_dspys_own_modules_wrap_with_their_signatures_inputs():
    dspex.configure(lm=RecordingLM([chat(reasoning="r", answer="4")]))
    ref = dspex.wrap(dspy.ChainOfThought("question -> answer"))
    assert ref.describe()["inputs"] == ["question"] and ref.describe()["outputs"] == ["reasoning", "answer"]
    assert ref(question="2 + 2?").answer == "4"
    with pytest.raises(InputError, match="missing input field.*'question'"):
        ref(query="2 + 2?")


def test_a_change_to_the_unwrapped_object_changes_the_module():
    lm = RecordingLM([chat(answer="a"), chat(answer="b")])
    ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    live = ref.unwrap()
    assert isinstance(live, dspy.Predict)
    ref(question="one")
    live.demos = [dspy.Example(question="two", answer="zwei")]
    ref(question="three")
    assert len(lm.calls[0].messages) == 2 and len(lm.calls[1].messages) == 4  # the demo is in the prompt now


def test_unwrap_where_dspy_keeps_no_live_object_says_so():
    evaluate = dspex.Evaluate.create(devset=DEV, metric=lambda e, p, t=None: 1.0, implementation="dspy")
    with pytest.raises(CapabilityError, match="keeps its configuration, not a dspy object"):
        evaluate.unwrap()


def test_wrapped_modules_work_in_pipelines():
    lm = RecordingLM(lambda messages, settings: chat(answer="Paris") if "`summary`" not in messages[0]["content"]
                     else chat(summary="It is Paris!"))
    dspex.configure(lm=lm)
    pipe = dspex.pipeline([
        ("dspy", dspex.DspyModule, {"spec": Shout(), "outputs": ["answer"]}),
        ("dspy", dspex.Predict, {"signature": "answer -> summary"}),
    ])
    result = dspex.run_pipeline(pipe, {"question": "Capital of France?"})
    assert result["answer"] == "Paris!" and result["summary"] == "It is Paris!"
    with pytest.raises(InputError, match="'answer'"):  # a step reads what no step produces: refused when built
        dspex.pipeline([("dspy", dspex.DspyModule, {"spec": Shout(), "outputs": ["reply"]}),
                        ("dspy", dspex.Predict, {"signature": "answer -> summary"})])


def test_wrapped_modules_work_in_evaluate_and_optimizers():
    dspex.configure(lm=toy_lm())

    class Plain(dspy.Module):
        def __init__(self):
            super().__init__()
            self.predict = dspy.Predict("question -> answer")

        def forward(self, question):
            return self.predict(question=question)

    ref = dspex.wrap(Plain())
    assert score(ref, DEV) == 0.0
    compiled = dspex.compile(dspex.LabeledFewShot.create(k=2, implementation="dspy"), ref, trainset=TRAIN)
    assert compiled.module_type == "dspy_module" and score(compiled, DEV) == 100.0
    assert score(ref, DEV) == 0.0  # compiling worked on a copy


def test_wrapped_modules_belong_to_their_session():
    dspex.configure(lm=RecordingLM([chat(answer="x")]))
    with dspex.session() as session:
        ref = dspex.wrap(Shout())
        assert ref.session_id == session.id and ref(question="q").answer == "x!"
    with pytest.raises(SessionError, match="was freed when its session"):
        ref(question="q")


def test_wrap_refuses_what_is_not_a_dspy_module_instance():
    dspex.configure(lm=RecordingLM([]))
    with pytest.raises(InputError, match="wraps a dspy module built by hand.*got int"):
        dspex.wrap(42)
    with pytest.raises(InputError, match="got a class Shout: create an instance first"):
        dspex.wrap(Shout)
    with pytest.raises(InputError, match="outputs must be a list of field names"):
        dspex.wrap(Shout(), outputs="answer")
    with pytest.raises(InputError, match="forward returned str, not a dspy.Prediction"):
        class Text(dspy.Module):
            def forward(self, question):
                return "plain text"

        dspex.wrap(Text())(question="q")


def test_dspy_call_calls_a_dspy_attribute_by_path_with_dspexs_lm():
    lm = RecordingLM([chat(answer="Paris")])
    dspex.configure(lm=lm)
    assert dspex.dspy_call("dspy.evaluate.answer_exact_match", dspy.Example(answer="Paris"),
                           dspy.Prediction(answer="paris")) is True
    predict = dspex.dspy_call("dspy.Predict", "question -> answer")
    assert isinstance(predict, dspy.Predict) and list(predict.signature.output_fields) == ["answer"]
    # a dspy object's method, run inside dspy.context with dspex's LM
    pred = dspex.dspy_call("dspy.Predict.__call__", predict, question="Capital of France?")
    assert isinstance(pred, dspy.Prediction) and pred.answer == "Paris" and len(lm.calls) == 1
    assert dspex.dspy_call("dspy.teleprompt.gepa.gepa.AUTO_RUN_SETTINGS")["light"] == {"n": 6}


def test_dspy_call_names_a_bad_path_and_what_exists_there():
    with pytest.raises(InputError, match=r"'dspy.evaluate.answer_exact_matc': dspy.evaluate has no attribute "
                                         r"'answer_exact_matc'; it has: .*answer_exact_match"):
        dspex.dspy_call("dspy.evaluate.answer_exact_matc")
    with pytest.raises(InputError, match="dotted path of a dspy attribute"):
        dspex.dspy_call(dspy.Predict)
    with pytest.raises(InputError, match="dotted names starting with 'dspy'"):
        dspex.dspy_call("dspy..Predict")
    with pytest.raises(InputError, match="not callable"):
        dspex.dspy_call("dspy.teleprompt.gepa.gepa.AUTO_RUN_SETTINGS", 1)


def test_a_wrapped_module_runs_async_too():
    import asyncio

    dspex.configure(lm=RecordingLM([chat(answer="Paris")]))
    ref = dspex.wrap(Shout())  # no aforward of its own: run in a worker thread
    assert asyncio.run(ref.acall(question="q")).answer == "Paris!"
