"""The layer's DSPy modules and utilities: callbacks, Evaluate, Parallel, majority, BestOfN, Refine,
track_usage, asyncify/syncify (served by native, checked here without dspy installed)."""

import asyncio
import threading

import pytest

import dspy
from dspy.evaluate import Evaluate, answer_exact_match, answer_passage_match
from dspy.utils.callback import ACTIVE_CALL_ID, BaseCallback, with_callbacks
from dspy.utils.dummies import DummyLM


@pytest.fixture(autouse=True)
def fresh_settings():
    yield
    from dspy.dsp.utils.settings import DEFAULT_CONFIG

    dspy.configure(**{k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULT_CONFIG.items()})


class Recorder(BaseCallback):
    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def _add(self, *item):
        with self.lock:
            self.calls.append(item)

    def on_module_start(self, call_id, instance, inputs):
        self._add("module_start", instance, call_id, ACTIVE_CALL_ID.get())

    def on_module_end(self, call_id, outputs, exception):
        self._add("module_end", outputs, exception)

    def on_lm_start(self, call_id, instance, inputs):
        self._add("lm_start", instance, call_id, ACTIVE_CALL_ID.get())

    def on_adapter_parse_start(self, call_id, instance, inputs):
        self._add("parse_start")

    def on_evaluate_start(self, call_id, instance, inputs):
        self._add("evaluate_start", instance, call_id, inputs["program"])


def _questions(*pairs):
    return [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in pairs]


def test_each_module_event_fires_once_with_the_layer_instance_and_lm_events_nest_in_it():
    recorder = Recorder()
    lm = DummyLM({"hi": {"reasoning": "r", "answer": "a"}})
    dspy.configure(lm=lm, callbacks=[recorder])
    cot = dspy.ChainOfThought("question -> answer")
    assert cot(question="hi").answer == "a"
    kinds = [c[0] for c in recorder.calls]
    assert kinds == ["module_start", "module_start", "lm_start", "parse_start", "module_end", "module_end"]
    (_, outer, outer_id, outer_parent), (_, inner, inner_id, inner_parent) = recorder.calls[:2]
    assert outer is cot and inner is cot.predict
    assert (outer_parent, inner_parent) == (None, outer_id)
    assert recorder.calls[2][1] is lm and recorder.calls[2][3] == inner_id  # the LM call's parent is the Predict


def test_a_failing_call_reports_its_exception_and_local_callbacks_hear_only_their_module():
    recorder = Recorder()

    class Boom(dspy.Module):
        @with_callbacks
        def run(self):
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Boom(callbacks=[recorder]).run()
    assert recorder.calls[-1][0] == "module_end" and str(recorder.calls[-1][2]) == "boom"
    assert ACTIVE_CALL_ID.get() is None


def test_evaluate_scores_on_threads_and_its_examples_are_children_of_its_event():
    recorder = Recorder()
    dspy.configure(lm=DummyLM({"1+1": {"answer": "2"}, "2+2": {"answer": "5"}}), callbacks=[recorder])
    program = dspy.Predict("question -> answer")
    result = Evaluate(devset=_questions(("1+1", "2"), ("2+2", "4")), metric=answer_exact_match, num_threads=2)(program)
    assert result.score == 50.0
    assert [(e.question, p.answer, s) for e, p, s in result.results] == [("1+1", "2", True), ("2+2", "5", False)]
    assert repr(result) == "EvaluationResult(score=50.0, results=<list of 2 results>)"
    evaluate_id = next(c[2] for c in recorder.calls if c[0] == "evaluate_start")
    assert [c[3] for c in recorder.calls if c[0] == "module_start"] == [evaluate_id, evaluate_id]


def test_evaluate_counts_a_failed_example_with_the_failure_score():
    def program(question):
        if question == "bad":
            raise RuntimeError("no")
        return dspy.Prediction(answer="x")

    result = Evaluate(devset=_questions(("ok", "x"), ("bad", "x")), metric=answer_exact_match, failure_score=0.0,
                      num_threads=1)(program)
    assert result.score == 50.0 and dict(result.results[1][1]) == {}


def test_metrics():
    assert answer_exact_match(dspy.Example(answer=["two", "2"]), dspy.Prediction(answer="The 2!"))
    assert answer_exact_match(dspy.Example(answer="a b c"), dspy.Prediction(answer="a b"), frac=0.5)
    assert answer_passage_match(dspy.Example(answer="Eiffel Tower"), dspy.Prediction(context=["the eiffel tower."]))
    with pytest.raises(ValueError, match="Invalid answer type"):
        answer_exact_match(dspy.Example(answer=1), dspy.Prediction(answer="1"))


def test_parallel_runs_pairs_in_order_and_collects_failures():
    def double(value):
        if value == 2:
            raise ValueError("two")
        return value * 2

    parallel = dspy.Parallel(num_threads=2, return_failed_examples=True, disable_progress_bar=True)
    results, failed, errors = parallel([(double, {"value": v}) for v in (1, 2, 3)])
    assert results == [2, None, 6] and failed == [{"value": 2}] and str(errors[0]) == "two"
    with pytest.raises(ValueError, match="Invalid example type"):
        dspy.Parallel(num_threads=1, max_errors=1)._run_pair((double, 5))


def test_a_worker_sees_the_callers_context():
    seen = []
    with dspy.context(lm="from the block"):
        dspy.Parallel(num_threads=2)([(lambda: seen.append(dspy.settings.lm), ()) for _ in range(2)])
    assert seen == ["from the block", "from the block"]


def test_majority():
    pred = dspy.Prediction.from_completions([{"answer": "Paris"}, {"answer": "paris."}, {"answer": "Rome"}])
    assert dspy.majority(pred).completions[0]["answer"] == "Paris"
    assert dspy.majority([{"a": "x", "b": "1"}, {"a": "y", "b": "2"}], field="a").completions[0]["b"] == "1"


class _Answer(dspy.Module):
    def __init__(self):
        super().__init__()
        self.respond = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.respond(question=question)


def _one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


class _LMCalls(BaseCallback):
    def __init__(self):
        self.calls = []

    def on_lm_start(self, call_id, instance, inputs):
        self.calls.append((instance.kwargs.get("rollout_id"), instance.kwargs.get("temperature"), inputs["messages"]))


def test_best_of_n_stops_at_the_threshold_with_rollout_ids():
    calls = _LMCalls()
    dspy.configure(lm=DummyLM([{"answer": "two words"}, {"answer": "one"}, {"answer": "never"}]), callbacks=[calls])
    assert dspy.BestOfN(_Answer(), N=3, reward_fn=_one_word, threshold=1.0)(question="q").answer == "one"
    assert [c[:2] for c in calls.calls] == [(0, 1.0), (1, 1.0)]


def test_refine_shows_the_advice_to_the_predictor_it_names():
    calls = _LMCalls()
    lm = DummyLM([{"answer": "two words"}, {"discussion": "d", "advice": {"respond": "Be brief."}}, {"answer": "one"}])
    dspy.configure(lm=lm, callbacks=[calls])
    program = _Answer()
    assert dspy.Refine(program, N=2, reward_fn=_one_word, threshold=1.0)(question="q").answer == "one"
    assert "Be brief." in calls.calls[-1][2][-1]["content"]
    assert "hint_" not in program.respond.signature.input_fields  # the attempts ran on copies


def test_track_usage_counts_a_custom_lms_reported_usage():
    dspy.configure(lm=DummyLM([{"answer": "a"}]))
    with dspy.track_usage() as usage:
        dspy.Predict("question -> answer")(question="q")
    assert usage.get_total_tokens() == {"dummy": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def test_asyncify_and_syncify():
    dspy.configure(lm=DummyLM([{"answer": "a"}, {"answer": "b"}]))
    predict = dspy.Predict("question -> answer")
    assert asyncio.run(dspy.asyncify(predict)(question="q")).answer == "a"

    class Async(dspy.Module):
        async def aforward(self, question):
            return await predict.acall(question=question)

    assert dspy.syncify(Async(), in_place=False)(question="q").answer == "b"


def test_react_ends_on_a_context_window_error_and_a_failed_tool_is_an_observation():
    from dspy.utils.exceptions import ContextWindowExceededError

    def broken():
        raise ValueError("tool blew up")

    agent = dspy.ReAct("question -> answer", tools=[broken])
    dspy.configure(lm=DummyLM([{"next_thought": "t", "next_tool_name": "broken", "next_tool_args": {}},
                               {"reasoning": "r", "answer": "n/a"}]))
    out = agent(question="q", max_iters=1)
    assert out.trajectory["observation_0"].startswith("Execution error in broken: \nTraceback (most recent call last):")
    assert out.trajectory["observation_0"].endswith("ValueError: tool blew up")

    def too_long(**kwargs):
        raise ContextWindowExceededError(model="m", message="too long")  # DSPy 3.4: keyword arguments

    agent.react = too_long
    agent.extract = lambda **kwargs: dspy.Prediction(answer="fallback")
    assert agent(question="q").answer == "fallback"


def test_a_tool_checks_and_converts_its_arguments_and_fires_tool_events():
    recorder = []

    class ToolEvents(BaseCallback):
        def on_tool_start(self, call_id, instance, inputs):
            recorder.append((instance.name, inputs))

    def add(a: int, b: int = 1) -> int:
        """Add."""
        return a + b

    tool = dspy.Tool(add)
    assert tool.args == {"a": {"type": "integer"}, "b": {"type": "integer", "default": 1}}
    assert str(tool) == "add, whose description is <desc>Add.</desc>. It takes arguments " + str(tool.args) + "."
    with dspy.context(callbacks=[ToolEvents()]):
        assert tool(a=2) == 3
    assert recorder == [("add", {"kwargs": {"a": 2}})]
    with pytest.raises(ValueError, match="Arg a is invalid: 'x' is not of type 'integer'"):
        tool(a="x")
    with pytest.raises(ValueError, match="Arg c is not in the tool's args"):
        tool(c=1)


def test_demos_changed_in_place_reach_the_next_prompt():
    lm = DummyLM([{"answer": "a"}] * 4)
    dspy.configure(lm=lm)
    predict = dspy.Predict("question -> answer")
    predict.demos = [dspy.Example(question="q1", answer="first")]
    predict(question="hi")
    predict.demos[0].answer = "changed"  # the same Example, mutated
    predict(question="hi")
    predict.demos[0] = dspy.Example(question="q2", answer="replaced")  # the same list, a new element
    predict(question="hi")
    sent = [str(entry["messages"]) for entry in lm.history]
    assert "first" in sent[0] and "changed" in sent[1] and "first" not in sent[1]
    assert "replaced" in sent[2] and "changed" not in sent[2]
