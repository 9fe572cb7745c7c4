"""The dspy backend's ``parallel``: ``dspy.Parallel`` over the wrapped module, with dspex's contract
(results in input order, failures as dspex errors, ``max_errors`` as ``EvaluationError``)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import dspy
import pytest

import dspex_core as dspex
from dspex_core import EvaluationError, Example, InputError
from dspex_core.testing import RecordingLM
from dspy_helpers import chat, dspy_ref

from dspex_dspy import store


def answering(messages, settings):
    """Answers by content: the question upper-cased; 'bad' questions get an unparseable reply."""
    question = messages[-1]["content"].split("[[ ## question ## ]]\n", 1)[1].split("\n", 1)[0]
    if "slow" in question:
        time.sleep(0.3)
    return "nothing to parse" if "bad" in question else chat(answer=question.upper())


def parallel(module, **options):
    return dspy_ref("parallel", module, **options)


def test_results_in_input_order_through_dspy_parallel(monkeypatch):
    made = []
    real = dspy.Parallel

    class Spy(real):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(dspy, "Parallel", Spy)
    lm = RecordingLM(answering)
    predict = dspy_ref("predict", "question -> answer")
    examples = [{"question": f"q{i}"} for i in range(5)]
    out = parallel(predict, num_threads=3)(examples=examples, lm=lm)
    assert [p.answer for p in out.results] == [f"Q{i}" for i in range(5)]
    assert all(type(p) is dspex.Prediction for p in out.results) and len(lm.calls) == 5
    assert made == [{"num_threads": 3, "max_errors": 10, "access_examples": True, "return_failed_examples": True,
                     "provide_traceback": False, "disable_progress_bar": True, "timeout": 120, "straggler_limit": 3}]


def test_failures_are_none_and_listed_in_input_order_as_dspex_errors():
    lm = RecordingLM(answering)
    predict = dspy_ref("predict", "question -> answer")
    examples = [{"question": "slow bad"}, {"question": "good"}, Example(question="bad").with_inputs("question")]
    out = parallel(predict, num_threads=3, return_failed_examples=True)(examples=examples, lm=lm)
    assert out.results[0] is None and out.results[1].answer == "GOOD" and out.results[2] is None
    assert out.failed_examples[0] is examples[0] and out.failed_examples[1] is examples[2]
    assert [type(e) for e in out.exceptions] == [dspex.AdapterParseError] * 2
    assert out.exceptions[0].raw == "nothing to parse"


def test_each_call_reports_only_its_own_failures():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer"), return_failed_examples=True)
    first = ref(examples=[{"question": "bad 1"}], lm=lm)
    second = ref(examples=[{"question": "bad 2"}, {"question": "ok"}], lm=lm)
    assert first.failed_examples == [{"question": "bad 1"}]
    assert second.failed_examples == [{"question": "bad 2"}]


def test_max_errors_is_an_evaluation_error_listing_the_failures():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer"), num_threads=1, max_errors=2)
    with pytest.raises(EvaluationError) as info:
        ref(examples=[{"question": "bad 0"}, {"question": "ok"}, {"question": "bad 2"}, {"question": "bad 3"}], lm=lm)
    assert isinstance(info.value, InputError)
    assert [(i, type(e).__name__) for i, e in info.value.errors] == [(0, "AdapterParseError"), (2, "AdapterParseError")]
    assert str(info.value).startswith("parallel stopped: 2 of 4 examples failed (max_errors=2); first failure, "
                                      "examples[0]: AdapterParseError: ")
    assert len(lm.calls) == 5  # two calls per failure (chat, then JSON), one for 'ok'; 'bad 3' never ran


def test_context_settings_reach_dspys_worker_threads():
    def reasoned(messages, settings):
        question = messages[-1]["content"].split("[[ ## question ## ]]\n", 1)[1].split("\n", 1)[0]
        return chat(reasoning="step", answer=question.upper())

    lm = RecordingLM(reasoned)
    ref = parallel(dspy_ref("chain_of_thought", "question -> answer"), num_threads=4)
    with dspex.context(lm=lm):
        out = ref(examples=[{"question": f"q{i}"} for i in range(6)])
    assert [p.answer for p in out.results] == [f"Q{i}" for i in range(6)] and len(lm.calls) == 6


def test_the_wrapped_modules_own_lm_is_used():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer", lm=lm))
    assert ref(examples=[{"question": "x"}]).results[0].answer == "X" and len(lm.calls) == 1


def test_access_examples_false_passes_every_field():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer"), access_examples=False, return_failed_examples=True)
    with pytest.warns(dspex.InputWarning, match="'answer' not in the signature are ignored"):
        out = ref(examples=[Example(question="a"), Example(question="b", answer="B").with_inputs("question")], lm=lm)
    # 'answer' is no input of the predict: it reaches the module, which ignores it (the core's input rule)
    assert [p.answer for p in out.results] == ["A", "B"]
    assert not any("## answer ## ]]\nB" in call.messages[-1]["content"] for call in lm.calls)


def test_a_foreign_module_that_cannot_be_rebuilt_is_a_capability_error():
    foreign = dspex.ModuleRef("elsewhere", "react", None, "s", spec="question -> answer", options={})
    with pytest.raises(dspex.CapabilityError, match="cannot wrap a 'react' module of backend 'elsewhere'"):
        parallel(foreign)


def test_a_foreign_predict_is_rebuilt_as_dspys():
    foreign = dspex.ModuleRef("elsewhere", "predict", None, "s", spec="question -> answer",
                              options={"adapter": "json", "instructions": "Shout."})
    lm = RecordingLM(lambda messages, settings: '{"answer": "HI"}')
    out = parallel(foreign)(examples=[{"question": "hi"}], lm=lm)
    assert out.results[0].answer == "HI"
    assert "Shout." in lm.calls[0].messages[0]["content"] and "JSON" in lm.calls[0].messages[0]["content"]


def test_a_parallel_module_can_wrap_another():
    lm = RecordingLM(answering)
    inner = parallel(dspy_ref("predict", "question -> answer"), num_threads=2)
    out = parallel(inner, num_threads=2)(examples=[{"examples": [{"question": "a"}, {"question": "b"}]},
                                                   {"examples": [{"question": "c"}]}], lm=lm)
    assert [[p.answer for p in batch.results] for batch in out.results] == [["A", "B"], ["C"]]


def test_aexecute():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer"), return_failed_examples=True)
    out = asyncio.run(dspex.aexecute(ref, {"examples": [{"question": "a"}, {"question": "bad"}]}, lm=lm))
    assert out.results[0].answer == "A" and out.failed_examples == [{"question": "bad"}]


def test_a_straggler_is_started_again_by_dspy():
    seen: dict[str, int] = {}
    lock = threading.Lock()
    inner = RecordingLM(answering)

    class SlowOnce:
        model = "slow-once"

        def __call__(self, messages, **settings):
            content = messages[-1]["content"]
            with lock:
                seen[content] = seen.get(content, 0) + 1
                first = seen[content] == 1
            if "late" in content and first:
                time.sleep(4)
            return inner(messages, **settings)

    ref = parallel(dspy_ref("predict", "question -> answer"), num_threads=2, timeout=1)
    start = time.monotonic()
    out = ref(examples=[{"question": "early"}, {"question": "late"}], lm=SlowOnce())
    assert time.monotonic() - start < 3.5
    assert [p.answer for p in out.results] == ["EARLY", "LATE"]


def test_describe_and_no_state(tmp_path):
    ref = parallel(dspy_ref("predict", "question -> answer"), num_threads=2)
    described = ref.describe()
    assert described["module"]["module_type"] == "predict" and described["module"]["backend"] == "dspy"
    assert described["num_threads"] == 2 and described["max_errors"] == 10 and described["inputs"] == ["examples"]
    impl = ref.implementation
    for call in (lambda: ref.save(tmp_path / "p.json"), lambda: impl.dump_state(ref.state),
                 lambda: impl.load_state(ref, {})):
        with pytest.raises(dspex.CapabilityError, match="parallel has no learned state to .*not a dspy.Module"):
            call()


@pytest.mark.parametrize("options, message", [
    ({"threads": 2}, "unknown option(s) 'threads'"),
    ({"num_threads": 0}, "num_threads must be a positive integer"),
    ({"max_errors": "3"}, "max_errors must be a non-negative number"),
    ({"disable_progress_bar": None}, "disable_progress_bar must be True or False"),
    ({"timeout": "1m"}, "timeout must be a number of seconds"),
    ({"straggler_limit": -1}, "straggler_limit must be a non-negative integer"),
])
def test_bad_options_are_input_errors(options, message):
    with pytest.raises(InputError) as info:
        parallel(dspy_ref("predict", "question -> answer"), **options)
    assert message in str(info.value)


def test_bad_examples_are_refused_before_any_lm_call():
    lm = RecordingLM(answering)
    ref = parallel(dspy_ref("predict", "question -> answer"))
    for inputs in ({"examples": "q"}, {"examples": [{"question": "a"}, ("b",)]},
                   {"examples": [Example(question="a")]}, {"question": "a"}):
        with pytest.raises(InputError):
            dspex.execute(ref, inputs, lm=lm)
    with pytest.raises(InputError, match="parallel wraps a module"):
        parallel("question -> answer")
    assert lm.calls == []


def test_a_wrapped_module_freed_with_its_session_fails_at_create():
    with dspex.session() as session:
        inner = dspy_ref("predict", "question -> answer")
    with pytest.raises(dspex.errors.SessionError):
        parallel(inner)
    assert session is not None


def test_failures_are_logged_by_dspy(caplog):
    caplog.set_level(logging.ERROR)
    parallel(dspy_ref("predict", "question -> answer"))(examples=[{"question": "bad"}],
                                                         lm=RecordingLM(answering))
    assert any("examples[0]" in record.getMessage() for record in caplog.records)


def test_the_stored_configuration_is_freed_with_its_session():
    before = store.count()
    with dspex.session():
        parallel(dspy_ref("predict", "question -> answer"))
        assert store.count() == before + 2
    assert store.count() == before
