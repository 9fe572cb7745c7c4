"""Callbacks and usage: native fires DSPy's callback events in dspy's order with the same
inputs and outputs, and reports the same ``get_lm_usage()`` as plain dspy and the dspy backend,
against one local OpenAI-compatible server (which reports usage in every answer)."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
import pytest
from dspy.utils.callback import BaseCallback

import dspex_core as dspex
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-callbacks-parity-0123456789"
REPLIES = {
    "predict": ["[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"],
    "chain_of_thought": ["[[ ## reasoning ## ]]\nadd\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"],
    # a chat reply that does not parse, then DSPy's JSON retry
    "predict_json_retry": ["no fields here", '{"answer": "4"}'],
}


class Recorder(BaseCallback):
    """A callback written for dspy: records (event, comparable payload)."""

    def __init__(self):
        self.events = []

    def _start(kind):
        def handler(self, call_id, instance, inputs):
            self.events.append((f"on_{kind}_start", _comparable(inputs)))
        return handler

    def _end(kind):
        def handler(self, call_id, outputs, exception=None):
            self.events.append((f"on_{kind}_end", _comparable(outputs), type(exception).__name__))
        return handler

    for _kind in ("module", "lm", "adapter_format", "adapter_parse", "tool", "evaluate"):
        locals()[f"on_{_kind}_start"] = _start(_kind)
        locals()[f"on_{_kind}_end"] = _end(_kind)


def _comparable(value):
    """What both sides can be compared on: plain data as is; signatures, states and predictions by kind."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in ("signature", "demos")}
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, (dspy.Prediction, dspex.Prediction)):
        return ("Prediction", dict(value.items()))
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, dspex.Signature) or (isinstance(value, type) and issubclass(value, dspy.Signature)):
        return "Signature"
    return type(value).__name__


class Replies:
    def __init__(self):
        self.script = []

    def __call__(self, messages, settings):
        return [self.script.pop(0)]


@pytest.fixture(scope="module")
def served():
    replies = Replies()
    with LocalLMServer(replies) as server:
        yield server, replies


def _dspy_run(server, replies, case):
    replies.script = list(REPLIES[case])
    recorder = Recorder()
    lm = dspy.LM("openai/local", api_base=server.url, api_key=KEY, cache=False)
    module = dspy.ChainOfThought("question -> answer") if case == "chain_of_thought" else dspy.Predict(
        "question -> answer")
    with dspy.context(lm=lm, callbacks=[recorder], track_usage=True):
        pred = module(question="2+2?")
    return recorder.events, pred.get_lm_usage(), dict(pred.items())


def _dspex_run(server, replies, case, implementation):
    replies.script = list(REPLIES[case])
    recorder = Recorder()
    lm = dspex.LM("openai/local", api_base=server.url, api_key=KEY, cache=False)
    facade = dspex.ChainOfThought if case == "chain_of_thought" else dspex.Predict
    ref = facade.create("question -> answer", implementation=implementation)
    with dspex.context(lm=lm, callbacks=[recorder]):
        pred = ref(question="2+2?")
    return recorder.events, pred.get_lm_usage(), dict(pred.items())


def _lm_kwargs_free(events):
    """The LM's call settings differ in how each side spells its defaults; the messages must not."""
    out = []
    for event in events:
        if event[0] == "on_lm_start":
            event = (event[0], {k: v for k, v in event[1].items() if k != "kwargs"})
        out.append(event)
    return out


@pytest.mark.parametrize("case", sorted(REPLIES))
def test_native_fires_dspys_events_with_dspys_payloads(served, case):
    server, replies = served
    expected, usage, fields = _dspy_run(server, replies, case)
    events, native_usage, native_fields = _dspex_run(server, replies, case, "native")
    assert _lm_kwargs_free(events) == _lm_kwargs_free(expected)
    assert native_usage == usage and native_fields == fields


@pytest.mark.parametrize("case", sorted(REPLIES))
def test_dspy_backend_passes_callbacks_and_usage_to_dspy(served, case):
    server, replies = served
    expected, usage, _ = _dspy_run(server, replies, case)
    events, backend_usage, _ = _dspex_run(server, replies, case, "dspy")
    assert [e[0] for e in events] == [e[0] for e in expected]
    assert backend_usage == usage


def test_track_usage_counts_both_backends_alike(served):
    server, replies = served
    lm = dspex.LM("openai/local", api_base=server.url, api_key=KEY, cache=False)
    totals = []
    for implementation in ("native", "dspy"):
        replies.script = list(REPLIES["chain_of_thought"]) * 2
        ref = dspex.ChainOfThought.create("question -> answer", implementation=implementation, lm=lm)
        with dspex.track_usage() as tracker:
            ref(question="2+2?")
            ref(question="2+2?")
        totals.append(tracker.get_total_tokens())
    assert totals[0] == totals[1] and totals[0]["openai/local"]["total_tokens"] > 0


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


REACT_REPLIES = [
    '[[ ## next_thought ## ]]\nadd them\n\n[[ ## next_tool_name ## ]]\nadd\n\n'
    '[[ ## next_tool_args ## ]]\n{"a": 1, "b": 2}\n\n[[ ## completed ## ]]',
    '[[ ## next_thought ## ]]\ndone\n\n[[ ## next_tool_name ## ]]\nfinish\n\n'
    '[[ ## next_tool_args ## ]]\n{}\n\n[[ ## completed ## ]]',
    "[[ ## reasoning ## ]]\nit is 3\n\n[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]",
]


def _trajectory_free(events):
    """The trajectory is a dict on both sides but its observation of ``finish`` is each side's
    own text; compare the events' order and the rest of their payloads."""
    return [(e[0],) if e[0] in ("on_module_end",) else e for e in _lm_kwargs_free(events)]


def test_react_with_a_tool_fires_dspys_events(served):
    server, replies = served
    replies.script = list(REACT_REPLIES)
    recorder = Recorder()
    lm = dspy.LM("openai/local", api_base=server.url, api_key=KEY, cache=False)
    with dspy.context(lm=lm, callbacks=[recorder], track_usage=True):
        expected_pred = dspy.ReAct("question -> answer", tools=[add])(question="1+2?")
    expected = recorder.events

    replies.script = list(REACT_REPLIES)
    recorder = Recorder()
    ref = dspex.ReAct.create("question -> answer", tools=[add], implementation="native")
    with dspex.context(lm=dspex.LM("openai/local", api_base=server.url, api_key=KEY, cache=False),
                       callbacks=[recorder]):
        pred = ref(question="1+2?")
    assert _trajectory_free(recorder.events) == _trajectory_free(expected)
    assert pred.get_lm_usage() == expected_pred.get_lm_usage()


def test_evaluate_fires_dspys_events(served):
    server, replies = served
    answer = "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"
    devset_dspy = [dspy.Example(question=f"q{i}", answer="4").with_inputs("question") for i in range(2)]
    devset = [dspex.Example(question=f"q{i}", answer="4").with_inputs("question") for i in range(2)]

    def metric(example, pred, trace=None):
        return example.answer == pred.answer

    replies.script = [answer, answer]
    recorder = Recorder()
    lm = dspy.LM("openai/local", api_base=server.url, api_key=KEY, cache=False)
    with dspy.context(lm=lm, callbacks=[recorder]):
        dspy.Evaluate(devset=devset_dspy, metric=metric, num_threads=1, display_progress=False)(
            dspy.Predict("question -> answer"))
    expected = [e[0] for e in recorder.events]

    for implementation in ("native", "dspy"):
        replies.script = [answer, answer]
        recorder = Recorder()
        program = dspex.Predict.create("question -> answer", implementation=implementation)
        evaluate = dspex.Evaluate.create(devset=devset, metric=metric, num_threads=1, display_progress=False,
                                         implementation=implementation)
        with dspex.context(lm=dspex.LM("openai/local", api_base=server.url, api_key=KEY, cache=False),
                           callbacks=[recorder]):
            result = evaluate(program=program)
        assert result.score == 100.0
        assert [e[0] for e in recorder.events] == expected, implementation
        if implementation == "native":  # the dspy backend hands dspy a function that runs the ref
            assert recorder.events[0][1]["program"] == "ModuleRef"
