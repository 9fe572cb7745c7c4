"""retry (Refine semantics), best_of_n and refine wrapping dspex module references; the async twins of
those and of multi_chain_comparison (DSPy 3.4's classes have no async forward)."""

from __future__ import annotations

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM


def one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


def test_retry_stops_at_the_first_prediction_reaching_the_threshold():
    lm = RecordingLM([
        chat(answer="Paris is the capital"),                      # attempt 1: reward 0
        chat(discussion="too long", advice={"self": "Answer in one word."}),  # Refine's advice step
        chat(answer="Paris"),                                     # attempt 2, with the hint: reward 1
    ])
    inner = dspy_ref("predict", "question -> answer")
    seen = []

    def reward(args, pred):
        seen.append((dict(args), type(pred).__name__))
        return one_word(args, pred)

    ref = dspex.Retry.create(inner, N=3, reward_fn=reward, threshold=1.0, implementation="dspy", lm=lm)
    pred = ref(question="Capital of France?")
    assert pred.answer == "Paris"
    assert lm.call_count == 3
    assert seen == [({"question": "Capital of France?"}, "Prediction")] * 2
    # Refine semantics: attempts run at temperature 1.0 with distinct rollout ids, the hint is fed back
    assert lm.calls[0].settings["temperature"] == 1.0 and lm.calls[2].settings["rollout_id"] == 1
    assert "Answer in one word." in lm.calls[2].messages[-1]["content"]


def test_best_of_n_keeps_the_best_without_advice():
    lm = RecordingLM([chat(answer="a b c"), chat(answer="a b"), chat(answer="x y z w")])
    inner = dspy_ref("predict", "question -> answer")
    ref = dspex.BestOfN.create(inner, N=3, reward_fn=lambda a, p: -len(p.answer.split()), threshold=0,
                               implementation="dspy", lm=lm)
    assert ref(question="q").answer == "a b"
    assert lm.call_count == 3


def test_refine_is_registered_and_uses_the_wrapped_modules_lm():
    lm = RecordingLM([chat(answer="ok")])
    inner = dspy_ref("predict", "question -> answer", lm=lm)
    ref = dspex.Refine.create(inner, N=2, reward_fn=lambda a, p: 1.0, threshold=0.5, implementation="dspy")
    assert ref(question="q").answer == "ok"


def test_wrapping_a_module_of_another_backend_rebuilds_it_from_its_spec():
    lm = RecordingLM([chat(answer="ok")])
    foreign = dspex.ModuleRef("native", "predict", object(), "default", "question -> answer",
                              {"instructions": "Be brief."})
    ref = dspex.Retry.create(foreign, N=1, reward_fn=lambda a, p: 1.0, threshold=1.0, implementation="dspy", lm=lm)
    assert ref(question="q").answer == "ok"
    assert "Be brief." in lm.calls[0].messages[0]["content"]


def test_wrapping_an_unrebuildable_foreign_module_is_a_capability_error():
    foreign = dspex.ModuleRef("native", "template", object(), "default", "Hello {name}", {})
    with pytest.raises(dspex.CapabilityError, match="template"):
        dspex.Retry.create(foreign, N=1, reward_fn=lambda a, p: 1.0, threshold=1.0, implementation="dspy")


@pytest.mark.parametrize("options, needle", [
    ({"N": 0, "reward_fn": one_word, "threshold": 1.0}, "N="),
    ({"N": 2, "reward_fn": "nope", "threshold": 1.0}, "reward_fn="),
    ({"N": 2, "reward_fn": one_word}, "threshold="),
])
def test_bad_retry_options_are_input_errors(options, needle):
    inner = dspy_ref("predict", "question -> answer")
    with pytest.raises(dspex.InputError, match=needle):
        dspex.Retry.create(inner, implementation="dspy", **options)


def test_retry_needs_a_module_reference():
    with pytest.raises(dspex.InputError, match="ModuleRef"):
        dspex.Retry.create("question -> answer", N=1, reward_fn=one_word, threshold=1, implementation="dspy")


@pytest.mark.parametrize("fail_count", [1.5, "2", True])
def test_a_fail_count_that_is_not_an_integer_is_an_input_error(fail_count):
    inner = dspy_ref("predict", "question -> answer")
    with pytest.raises(dspex.InputError, match="fail_count= must be an integer"):
        dspex.BestOfN.create(inner, N=2, reward_fn=one_word, threshold=1.0, fail_count=fail_count,
                             implementation="dspy")


@pytest.mark.parametrize("facade", [dspex.BestOfN, dspex.Refine, dspex.Retry])
def test_async_calls_run_dspys_forward_in_a_worker_thread(facade):
    # DSPy 3.4's BestOfN and Refine have no aforward: their own acall fails with AttributeError
    import asyncio

    lm = RecordingLM([chat(answer="Paris")])
    ref = facade.create(dspy_ref("predict", "question -> answer"), N=2, reward_fn=one_word, threshold=1.0,
                        implementation="dspy", lm=lm)
    assert asyncio.run(ref.acall(question="q")).answer == "Paris"
    assert lm.calls[0].settings == {"rollout_id": 0, "temperature": 1.0}


class OneWord:
    """A callable object as the reward function."""

    def __call__(self, args, pred):
        return 0.0


def test_a_callable_objects_reward_code_is_its_class_source_as_dspy_reads_it():
    lm = RecordingLM([chat(answer="a b"), chat(discussion="d", advice={"self": "shorter"}), chat(answer="a")])
    ref = dspex.Refine.create(dspy_ref("predict", "question -> answer"), N=2, reward_fn=OneWord(), threshold=1.0,
                              implementation="dspy", lm=lm)
    ref(question="q")
    assert '[[ ## reward_code ## ]]\nclass OneWord:\n    """A callable object as the reward function."""' in \
        lm.calls[1].messages[-1]["content"]


def test_async_multi_chain_comparison_runs_dspys_forward_in_a_worker_thread():
    import asyncio

    lm = RecordingLM([chat(rationale="r", answer="4")])
    ref = dspex.MultiChainComparison.create("question -> answer", M=1, implementation="dspy", lm=lm)
    pred = asyncio.run(ref.acall(question="q", completions=[{"reasoning": "r", "answer": "4"}]))
    assert pred.answer == "4" and lm.call_count == 1
    with pytest.raises(dspex.InputError, match="M=1 and got 2"):
        asyncio.run(ref.acall(question="q", completions=[{"reasoning": "r", "answer": "4"}] * 2))
