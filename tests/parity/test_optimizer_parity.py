"""Native LabeledFewShot, BootstrapFewShot, BootstrapFewShotWithRandomSearch and COPRO against DSPy 3.4.

For random programs (predict, chain_of_thought, and react, whose step predictor is called several
times per example), trainsets, metrics, thresholds and options, and an LM whose answer depends
only on the request (sometimes an unparseable reply), both backends must send the same requests
(in the same order where DSPy is sequential, the same multiset where it evaluates in threads),
bootstrapping rounds after the first at ``temperature=1.0`` with their ``rollout_id``, and save
the same compiled program (demos with their ``augmented`` flags, instructions, fields).
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import dspex_core as dspex
from _optimizer_runs import assert_same, compile_on, digest
from dspex_core.errors import CapabilityError, EvaluationError, InputError

WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "Paris", "x y", "ünï", "42"])


def lookup(topic: str) -> str:
    """Look a topic up."""
    return f"{topic} is known"


def make_program(module_type: str) -> Any:
    def make(backend: str, lm: Any) -> Any:
        if module_type == "react":
            return dspex.ReAct.create("question -> answer", tools=[lookup], max_iters=3, implementation=backend,
                                      lm=lm)
        return dspex.create(module_type, "question -> answer", implementation=backend, lm=lm)
    return make


def replier(salt: int, broken_every: int) -> Any:
    """Answers from the request alone: a ReAct step (a tool call or finish), or the outputs the
    system message asks for; every ``broken_every``-th request (by digest) gets an unparseable reply."""
    def replies(messages: list, settings: dict) -> str:
        system, user = messages[0]["content"], messages[-1]["content"]
        h = digest(salt, messages, settings)
        if broken_every and h % broken_every == 0:
            return "I cannot answer in that format."
        question = user.split("[[ ## question ## ]]\n")[-1].split("\n")[0]
        if "`next_tool_name`" in system:
            steps = user.count("[[ ## observation_")
            tool, args = ("lookup", '{"topic": "%s"}' % question) if steps < h % 3 else ("finish", "{}")
            return (f"[[ ## next_thought ## ]]\nstep {steps}\n\n[[ ## next_tool_name ## ]]\n{tool}\n\n"
                    f"[[ ## next_tool_args ## ]]\n{args}\n\n[[ ## completed ## ]]")
        if "`proposed_instruction`" in system:  # COPRO's proposals: sometimes quoted, sometimes repeated
            text = ['"Answer with care."', "Answer with care.", f"Think, then answer {h % 5}.", ""][h % 4]
            prefix = ["Answer:", " Result: ", '"Final:"'][h % 3]
            return (f"[[ ## proposed_instruction ## ]]\n{text}\n\n[[ ## proposed_prefix_for_output_field ## ]]\n"
                    f"{prefix}\n\n[[ ## completed ## ]]")
        answer = question.upper() if h % 4 else "wrong"
        reasoning = f"[[ ## reasoning ## ]]\nabout {question}\n\n" if "`reasoning`" in system else ""
        return f"{reasoning}[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"
    return replies


@st.composite
def trainsets(draw: Any, min_size: int = 1) -> list:
    questions = draw(st.lists(WORDS, min_size=min_size, max_size=7))
    out = []
    for index, question in enumerate(questions):
        answer = draw(st.sampled_from([question.upper(), "wrong", "other"]))
        out.append(dspex.Example(question=f"{question} {index}", answer=answer).with_inputs("question"))
    return out


def exact(example: Any, prediction: Any, trace: Any = None) -> bool:
    return example.answer == prediction.answer


def graded(example: Any, prediction: Any, trace: Any = None) -> float:
    return 1.0 if example.answer == prediction.answer else 0.5 if prediction.answer == "wrong" else 0.0


@settings(max_examples=25)
@given(module_type=st.sampled_from(["predict", "chain_of_thought", "react"]), trainset=trainsets(),
       k=st.integers(0, 5), sample=st.booleans())
def test_labeled_few_shot(module_type, trainset, k, sample):
    runs = [compile_on(backend, replier(0, 0), make_program(module_type), "labeled_few_shot", {"k": k}, trainset,
                       sample=sample) for backend in ("native", "dspy")]
    assert_same(*runs)


@settings(max_examples=40)
@given(module_type=st.sampled_from(["predict", "chain_of_thought", "react"]), trainset=trainsets(),
       salt=st.integers(0, 10**6), broken_every=st.sampled_from([0, 0, 5]),
       metric=st.sampled_from([None, exact, graded]), threshold=st.sampled_from([None, 0.5, 1.0]),
       max_bootstrapped=st.integers(0, 4), max_labeled=st.integers(0, 6), max_rounds=st.integers(1, 3))
def test_bootstrap_few_shot(module_type, trainset, salt, broken_every, metric, threshold, max_bootstrapped,
                            max_labeled, max_rounds):
    options = {"metric": metric, "metric_threshold": threshold, "max_bootstrapped_demos": max_bootstrapped,
               "max_labeled_demos": max_labeled, "max_rounds": max_rounds, "max_errors": 1000}
    runs = [compile_on(backend, replier(salt, broken_every), make_program(module_type), "bootstrap_few_shot",
                       options, trainset) for backend in ("native", "dspy")]
    assert_same(*runs)
    assert runs[0].outcome == ("ok",)  # failures are counted, never fatal below max_errors


@settings(max_examples=40)
@given(module_type=st.sampled_from(["predict", "chain_of_thought"]), trainset=trainsets(),
       valset=st.one_of(st.none(), trainsets()), salt=st.integers(0, 10**6),
       metric=st.sampled_from([exact, graded]), candidates=st.integers(0, 3), max_bootstrapped=st.integers(1, 3),
       max_labeled=st.integers(0, 4), stop_at_score=st.sampled_from([None, 50.0]),
       restrict=st.sampled_from([None, [-1, 0, 2], [-3, 1]]), labeled_sample=st.booleans())
def test_random_search(module_type, trainset, valset, salt, metric, candidates, max_bootstrapped, max_labeled,
                       stop_at_score, restrict, labeled_sample):
    options = {"metric": metric, "max_bootstrapped_demos": max_bootstrapped, "max_labeled_demos": max_labeled,
               "num_candidate_programs": candidates, "num_threads": 2, "stop_at_score": stop_at_score,
               "max_errors": 1000}
    runs = [compile_on(backend, replier(salt, 0), make_program(module_type), "bootstrap_few_shot_with_random_search",
                       options, trainset, valset=valset, restrict=restrict, labeled_sample=labeled_sample)
            for backend in ("native", "dspy")]
    assert_same(*runs, ordered=False)
    assert runs[0].outcome == ("ok",)


@settings(max_examples=25)
@given(module_type=st.sampled_from(["predict", "chain_of_thought", "react"]), trainset=trainsets(),
       salt=st.integers(0, 10**6), broken_every=st.sampled_from([0, 0, 7]), metric=st.sampled_from([exact, graded]),
       breadth=st.integers(2, 4), depth=st.integers(1, 3), threads=st.sampled_from([1, 3]))
def test_copro(module_type, trainset, salt, broken_every, metric, breadth, depth, threads):
    if module_type == "react":
        # as in test_mipro_parity: a react search under 3 threads has sent a different number of
        # requests now and then, on either side and not reproducibly (hypothesis: flaky); react
        # searches run on one thread until the cause is known
        threads = 1
    options = {"metric": metric, "breadth": breadth, "depth": depth, "init_temperature": 1.1}
    runs = [compile_on(backend, replier(salt, broken_every), make_program(module_type), "copro", options, trainset,
                       eval_kwargs={"num_threads": threads}) for backend in ("native", "dspy")]
    assert_same(*runs, ordered=threads == 1)
    if not broken_every:
        assert runs[0].outcome == ("ok",)


def test_a_compiled_teacher_keeps_its_demos_and_drops_the_example_itself():
    """A teacher compiled by BootstrapFewShot earlier (one augmented demo and two of the trainset's own
    examples) is used as it is, minus the example being bootstrapped, on both backends."""
    trainset = [dspex.Example(question=f"q{i}", answer=f"Q{i}").with_inputs("question") for i in range(5)]
    runs = [compile_on(backend, replier(3, 0), make_program("predict"), "bootstrap_few_shot",
                       {"metric": exact, "max_bootstrapped_demos": 5}, trainset,
                       teacher=_bootstrapped_teacher(backend, trainset)) for backend in ("native", "dspy")]
    assert_same(*runs)
    demo_messages = sorted(len(call.messages) for call in runs[0].calls)
    assert demo_messages[0] == 2 + 2 * 2 and demo_messages[-1] == 2 + 2 * 3  # 3 demos, 2 when one is the example


def _bootstrapped_teacher(backend: str, trainset: list) -> Any:
    from dspex_core.testing import RecordingLM

    lm = RecordingLM(replier(9, 0))
    program = dspex.Predict.create("question -> answer", implementation=backend, lm=lm)
    bootstrap = dspex.create("bootstrap_few_shot", max_bootstrapped_demos=1, max_labeled_demos=3,
                             implementation=backend)
    return dspex.compile(bootstrap, program, trainset=trainset)


def test_bootstrapping_a_bootstrapped_program_is_refused_before_any_lm_call():
    trainset = [dspex.Example(question="q", answer="Q").with_inputs("question")]
    for backend in ("native", "dspy"):
        run = compile_on(backend, replier(0, 0), make_program("predict"), "bootstrap_few_shot", {}, trainset)
        assert run.outcome == ("ok",)
    from dspex_core.testing import RecordingLM

    lm = RecordingLM(replier(0, 0))
    program = dspex.Predict.create("question -> answer", implementation="native", lm=lm)
    optimizer = dspex.create("bootstrap_few_shot", implementation="native")
    compiled = dspex.compile(optimizer, program, trainset=trainset)
    calls = len(lm.calls)
    with pytest.raises(InputError, match="already compiled by a bootstrapping optimizer"):
        dspex.compile(optimizer, compiled, trainset=trainset)
    assert len(lm.calls) == calls


def test_max_errors_stops_the_native_compile_with_an_evaluation_error():
    """A metric that raises counts as a failed example (DSPy's rule); the max_errors-th stops the
    compile with EvaluationError listing (trainset index, error)."""
    from dspex_core.testing import RecordingLM

    def broken(example, prediction, trace=None):
        raise ZeroDivisionError("metric bug")

    trainset = [dspex.Example(question=f"q{i}", answer="A").with_inputs("question") for i in range(6)]
    lm = RecordingLM(replier(0, 0))
    program = dspex.Predict.create("question -> answer", implementation="native", lm=lm)
    optimizer = dspex.create("bootstrap_few_shot", metric=broken, max_errors=3, implementation="native")
    with pytest.raises(EvaluationError, match="metric bug") as info:
        dspex.compile(optimizer, program, trainset=trainset)
    assert [index for index, _ in info.value.errors] == [0, 1, 2]
    assert len(lm.calls) == 3


def test_a_dspy_program_goes_to_the_dspy_optimizer_by_fallback():
    """A native optimizer asked to compile a dspy-backed program refuses with CapabilityError before
    any LM call; with the router's fallback the dspy backend compiles it."""
    from dspex_core.testing import RecordingLM

    trainset = [dspex.Example(question="q", answer="Q").with_inputs("question")]
    lm = RecordingLM(replier(0, 0))
    program = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    native_only = dspex.create("bootstrap_few_shot", implementation="native")
    with pytest.raises(CapabilityError, match="backend 'dspy'"):
        dspex.compile(native_only, program, trainset=trainset)
    assert lm.calls == []
    routed = dspex.create("bootstrap_few_shot")
    assert routed.backend == "native"
    compiled = dspex.compile(routed, program, trainset=trainset)
    assert compiled.backend == "dspy"
