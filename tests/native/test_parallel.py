"""The native ``parallel`` module type: DSPy's ``Parallel`` over any ``ModuleRef``.

Order, concurrency, failures, ``max_errors``, ``return_failed_examples``, stragglers,
``dspex.context`` settings in the workers, the async twin, and bad input refused before any call.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import EvaluationError, Example, InputError, Prediction
from dspex_core.testing import RecordingLM

ANSWER = "[[ ## answer ## ]]\n{}\n\n[[ ## completed ## ]]"


class Program:
    """A module implementation (of a backend of its own) whose calls a test controls: it
    answers ``Prediction(echo=...)``, raises for ``fail=...``, sleeps for ``sleep=...``."""

    def __init__(self, barrier: threading.Barrier | None = None):
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.running = 0
        self.most = 0
        self.barrier = barrier

    def create(self, spec, **options):
        return None

    def _enter(self, inputs):
        with self.lock:
            self.calls.append(dict(inputs))
            self.running += 1
            self.most = max(self.most, self.running)

    def _leave(self):
        with self.lock:
            self.running -= 1

    def _answer(self, inputs):
        if "fail" in inputs:
            raise RuntimeError(f"fails on {inputs['fail']}")
        return Prediction(echo=inputs.get("x"), lm=dspex.settings().lm)

    def execute(self, state, inputs, **options):
        self._enter(inputs)
        try:
            if self.barrier is not None:
                self.barrier.wait(timeout=10)
            time.sleep(inputs.get("sleep", 0))
            return self._answer({**inputs, **options})
        finally:
            self._leave()

    async def aexecute(self, state, inputs, **options):
        self._enter(inputs)
        try:
            await asyncio.sleep(inputs.get("sleep", 0))
            return self._answer({**inputs, **options})
        finally:
            self._leave()


def ref_of(program: Program) -> dspex.ModuleRef:
    return dspex.ModuleRef("mine", "program", None, "s", implementation=program,
                           methods=frozenset({"aexecute"}))


def parallel(module, **options) -> dspex.ModuleRef:
    return dspex.Parallel.create(module, implementation="native", **options)


def chat_lm() -> RecordingLM:
    """Answers a Predict('question -> answer') by content: the question upper-cased; a question
    containing 'bad' gets a reply that neither the chat nor the JSON adapter can parse."""
    def reply(messages, settings):
        question = messages[-1]["content"].split("[[ ## question ## ]]\n", 1)[1].split("\n", 1)[0]
        return "nothing to parse" if "bad" in question else ANSWER.format(question.upper())

    return RecordingLM(reply)


# -- results ----------------------------------------------------------------------------------

def test_results_are_in_input_order_whatever_finishes_first():
    program = Program()
    examples = [{"x": i, "sleep": 0.05 * (5 - i)} for i in range(6)]
    out = parallel(ref_of(program), num_threads=6)(examples=examples)
    assert list(out.keys()) == ["results"]
    assert [p.echo for p in out.results] == list(range(6))


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 99), st.booleans()), max_size=12), st.integers(1, 5))
def test_every_example_runs_once_and_failures_are_none(rows, threads):
    program = Program()
    examples = [{"x": x, "fail": i} if fails else {"x": x} for i, (x, fails) in enumerate(rows)]
    out = parallel(ref_of(program), num_threads=threads, max_errors=100, return_failed_examples=True)(
        examples=examples)
    assert [p.echo if p is not None else None for p in out.results] == \
        [None if fails else x for x, fails in rows]
    assert sorted(map(repr, program.calls)) == sorted(map(repr, examples))
    assert out.failed_examples == [e for e in examples if "fail" in e]
    assert [str(e) for e in out.exceptions] == [f"fails on {e['fail']}" for e in examples if "fail" in e]
    assert program.most <= threads


def test_a_real_predict_through_the_public_api():
    lm = chat_lm()
    predict = dspex.Predict.create("question -> answer", implementation="native")
    out = parallel(predict, num_threads=3)(examples=[{"question": f"q{i}"} for i in range(5)], lm=lm)
    assert [p.answer for p in out.results] == [f"Q{i}" for i in range(5)]
    assert len(lm.calls) == 5


def test_a_failed_predict_is_none_and_its_parse_error_is_kept():
    lm = chat_lm()
    predict = dspex.Predict.create("question -> answer", implementation="native")
    out = parallel(predict, return_failed_examples=True)(
        examples=[{"question": "good"}, {"question": "bad"}], lm=lm)
    assert out.results[0].answer == "GOOD" and out.results[1] is None
    assert out.failed_examples == [{"question": "bad"}]
    [error] = out.exceptions
    assert isinstance(error, dspex.AdapterParseError) and error.raw == "nothing to parse"
    assert len(lm.calls) == 3  # the failed one was asked again in JSON, as DSPy's ChatAdapter does


def test_examples_give_their_inputs_or_with_access_examples_false_every_field():
    program = Program()
    example = Example(x=1, label="yes").with_inputs("x")
    parallel(ref_of(program))(examples=[example])
    assert program.calls == [{"x": 1}]
    program.calls.clear()
    parallel(ref_of(program), access_examples=False)(examples=[example, Example(x=2)])
    assert program.calls in ([{"x": 1, "label": "yes"}, {"x": 2}], [{"x": 2}, {"x": 1, "label": "yes"}])


def test_failed_examples_are_the_objects_given():
    program = Program()
    example = Example(x=1, fail=0).with_inputs("x", "fail")
    out = parallel(ref_of(program), return_failed_examples=True)(examples=[example])
    assert out.failed_examples[0] is example and out.results == [None]


def test_no_examples_no_calls():
    program = Program()
    assert parallel(ref_of(program))(examples=[]).results == []
    assert parallel(ref_of(program), return_failed_examples=True)(examples=()).toDict() == \
        {"results": [], "failed_examples": [], "exceptions": []}
    assert program.calls == []


# -- threads ----------------------------------------------------------------------------------

def test_num_threads_calls_run_at_once():
    program = Program(barrier=threading.Barrier(3))  # no call returns before three are running
    out = parallel(ref_of(program), num_threads=3)(examples=[{"x": i} for i in range(6)])
    assert [p.echo for p in out.results] == list(range(6)) and program.most == 3


def test_one_thread_runs_in_the_callers_thread_in_order():
    seen = []

    class Here(Program):
        def execute(self, state, inputs, **options):
            seen.append((threading.current_thread(), inputs["x"]))
            return Prediction(echo=inputs["x"])

    parallel(ref_of(Here()), num_threads=1)(examples=[{"x": i} for i in range(4)])
    assert seen == [(threading.current_thread(), i) for i in range(4)]


def test_a_call_may_ask_for_other_num_threads_beside_the_examples_or_as_a_call_option():
    program = Program(barrier=threading.Barrier(2))
    ref = parallel(ref_of(program), num_threads=1)
    out = ref(examples=[{"x": 0}, {"x": 1}], num_threads=2)  # dspy.Parallel.forward(exec_pairs, num_threads)
    assert [p.echo for p in out.results] == [0, 1] and program.most == 2
    out = dspex.execute(ref, {"examples": [{"x": 2}, {"x": 3}]}, num_threads=2)
    assert [p.echo for p in out.results] == [2, 3]
    with pytest.raises(InputError, match="num_threads twice"):
        dspex.execute(ref, {"examples": [{"x": 2}], "num_threads": 2}, num_threads=2)


def test_the_default_is_dspys_eight_threads():
    program = Program(barrier=threading.Barrier(8))
    parallel(ref_of(program))(examples=[{"x": i} for i in range(8)])
    assert program.most == 8
    assert parallel(ref_of(program)).describe()["num_threads"] == 8


def test_context_settings_and_context_variables_reach_every_worker():
    lm = chat_lm()
    marker = contextvars.ContextVar("marker", default="unset")
    seen = []

    class Reads(Program):
        def execute(self, state, inputs, **options):
            seen.append((marker.get(), dspex.settings().lm))
            return Prediction(echo=inputs["x"])

    predict = dspex.Predict.create("question -> answer", implementation="native")
    marker.set("caller's")
    with dspex.context(lm=lm):
        out = parallel(predict, num_threads=4)(examples=[{"question": f"q{i}"} for i in range(8)])
        parallel(ref_of(Reads()), num_threads=4)(examples=[{"x": i} for i in range(8)])
    assert [p.answer for p in out.results] == [f"Q{i}" for i in range(8)] and len(lm.calls) == 8
    assert seen == [("caller's", lm)] * 8


def test_call_options_reach_every_call_of_the_wrapped_module():
    lm = chat_lm()
    predict = dspex.Predict.create("question -> answer", implementation="native")
    out = parallel(predict)(examples=[{"question": "a"}, {"question": "b"}], lm=lm, config={"temperature": 0.5})
    assert [p.answer for p in out.results] == ["A", "B"]
    assert [call.settings for call in lm.calls] == [{"temperature": 0.5}] * 2


def test_the_executor_setting_is_used(monkeypatch):
    from dspex_core import registry
    from dspex_core.executors import ThreadExecutor

    used = []

    class Counting(ThreadExecutor):
        def map(self, fn, items, *, max_workers=8, on_result=None):
            used.append(max_workers)
            return super().map(fn, items, max_workers=max_workers, on_result=on_result)

    real = registry.executor
    monkeypatch.setattr(registry, "executor", lambda name: Counting() if name == "counting" else real(name))
    with dspex.context(executor="counting"):
        parallel(ref_of(Program()), num_threads=3)(examples=[{"x": 1}, {"x": 2}])
    assert used == [3]


# -- max_errors -------------------------------------------------------------------------------

def test_max_errors_stops_the_run_with_an_evaluation_error():
    program = Program()
    examples = [{"x": 0}, {"fail": 1}, {"x": 2}, {"fail": 3}, {"x": 4}, {"fail": 5}]
    with pytest.raises(EvaluationError) as info:
        parallel(ref_of(program), num_threads=1, max_errors=2)(examples=examples)
    assert isinstance(info.value, InputError)
    assert [(i, str(e)) for i, e in info.value.errors] == [(1, "fails on 1"), (3, "fails on 3")]
    assert "parallel stopped: 2 of 6 examples failed (max_errors=2); first failure, examples[1]: " \
           "RuntimeError: fails on 1" in str(info.value)
    assert len(program.calls) == 4  # one thread: nothing after the second failure runs


def test_fewer_failures_than_max_errors_do_not_stop_the_run():
    out = parallel(ref_of(Program()), max_errors=3)(examples=[{"fail": 0}, {"fail": 1}, {"x": 2}])
    assert out.results[:2] == [None, None] and out.results[2].echo == 2


def test_max_errors_zero_stops_at_the_first_failure_and_not_before():
    assert parallel(ref_of(Program()), max_errors=0)(examples=[{"x": 1}]).results[0].echo == 1
    with pytest.raises(EvaluationError):
        parallel(ref_of(Program()), max_errors=0)(examples=[{"fail": 0}])


def test_the_default_max_errors_is_dspys_ten():
    with pytest.raises(EvaluationError) as info:
        parallel(ref_of(Program()), num_threads=1)(examples=[{"fail": i} for i in range(12)])
    assert len(info.value.errors) == 10


def test_the_run_stops_without_waiting_for_calls_still_running():
    program = Program()
    start = time.monotonic()
    with pytest.raises(EvaluationError):
        parallel(ref_of(program), num_threads=2, max_errors=1)(examples=[{"x": 0, "sleep": 3}, {"fail": 1}])
    assert time.monotonic() - start < 2


def test_failures_are_logged_without_traceback_unless_asked(caplog):
    caplog.set_level(logging.ERROR, logger="dspex_native.parallel")
    parallel(ref_of(Program()))(examples=[{"fail": 7}])
    [record] = caplog.records
    assert "fails on 7" in record.getMessage() and "provide_traceback=True" in record.getMessage()
    assert record.exc_info is None
    caplog.clear()
    parallel(ref_of(Program()), provide_traceback=True)(examples=[{"fail": 7}])
    assert caplog.records[0].exc_info is not None


# -- stragglers -------------------------------------------------------------------------------

def test_a_straggler_is_started_again_and_the_first_outcome_wins():
    calls = []

    class SlowOnce(Program):
        def execute(self, state, inputs, **options):
            calls.append(inputs["x"])
            if inputs["x"] == "slow" and calls.count("slow") == 1:
                time.sleep(3)
                return Prediction(echo="late")
            return Prediction(echo=inputs["x"])

    start = time.monotonic()
    out = parallel(ref_of(SlowOnce()), num_threads=2, timeout=0.3)(examples=[{"x": "fast"}, {"x": "slow"}])
    assert time.monotonic() - start < 2
    assert [p.echo for p in out.results] == ["fast", "slow"] and calls.count("slow") == 2


def test_no_straggler_is_restarted_when_timeout_is_off_or_too_many_remain():
    for options in ({"timeout": 0}, {"timeout": -1}, {"timeout": 0.2, "straggler_limit": 0}):
        examples = [{"x": 0, "sleep": 0.6}, {"x": 1}]
        program = Program()
        parallel(ref_of(program), num_threads=4, **options)(examples=examples)
        assert len(program.calls) == len(examples)


# -- async ------------------------------------------------------------------------------------

def test_aexecute_keeps_order_and_limits_concurrency():
    program = Program()
    examples = [{"x": i, "sleep": 0.02 * (6 - i)} for i in range(6)] + [{"fail": 6}]
    ref = parallel(ref_of(program), num_threads=2, return_failed_examples=True)
    out = asyncio.run(dspex.aexecute(ref, {"examples": examples}))
    assert [p.echo for p in out.results[:6]] == list(range(6)) and out.results[6] is None
    assert out.failed_examples == [{"fail": 6}] and program.most == 2


def test_aexecute_with_a_real_predict_and_context_settings():
    lm = chat_lm()
    predict = dspex.Predict.create("question -> answer", implementation="native")

    async def main():
        with dspex.context(lm=lm):
            return await parallel(predict, num_threads=3).acall(examples=[{"question": f"q{i}"} for i in range(4)])

    assert [p.answer for p in asyncio.run(main()).results] == ["Q0", "Q1", "Q2", "Q3"]


def test_aexecute_max_errors_cancels_what_is_still_running():
    program = Program()
    ref = parallel(ref_of(program), num_threads=3, max_errors=1)
    start = time.monotonic()
    with pytest.raises(EvaluationError) as info:
        asyncio.run(dspex.aexecute(ref, {"examples": [{"x": 0, "sleep": 5}, {"fail": 1}, {"x": 2, "sleep": 5}]}))
    assert time.monotonic() - start < 2 and [i for i, _ in info.value.errors] == [1]


def test_aexecute_restarts_a_straggler():
    calls = []

    class SlowOnce(Program):
        async def aexecute(self, state, inputs, **options):
            calls.append(inputs["x"])
            if inputs["x"] == "slow" and calls.count("slow") == 1:
                await asyncio.sleep(5)
            return Prediction(echo=inputs["x"])

    ref = parallel(ref_of(SlowOnce()), num_threads=2, timeout=0.3)
    start = time.monotonic()
    out = asyncio.run(dspex.aexecute(ref, {"examples": [{"x": "fast"}, {"x": "slow"}]}))
    assert time.monotonic() - start < 2 and [p.echo for p in out.results] == ["fast", "slow"]


# -- wrapping ---------------------------------------------------------------------------------

def test_a_parallel_module_wraps_another_through_dicts_of_examples():
    inner = parallel(ref_of(Program()), num_threads=2)
    out = parallel(inner, num_threads=2)(examples=[{"examples": [{"x": 1}, {"x": 2}]}, {"examples": [{"x": 3}]}])
    assert [[p.echo for p in batch.results] for batch in out.results] == [[1, 2], [3]]


def test_describe_names_the_wrapped_module_and_the_options():
    predict = dspex.Predict.create("question -> answer", implementation="native")
    described = parallel(predict, num_threads=2, return_failed_examples=True).describe()
    assert described["module"]["module_type"] == "predict" and described["module"]["signature"] == "question -> answer"
    assert {k: described[k] for k in ("num_threads", "max_errors", "access_examples", "return_failed_examples",
                                      "provide_traceback", "disable_progress_bar", "timeout", "straggler_limit")} == \
        {"num_threads": 2, "max_errors": 10, "access_examples": True, "return_failed_examples": True,
         "provide_traceback": False, "disable_progress_bar": True, "timeout": 120, "straggler_limit": 3}
    assert described["inputs"] == ["examples"] and described["outputs"] == ["results", "failed_examples", "exceptions"]


def test_it_has_no_state_to_save_dump_or_load(tmp_path):
    ref = parallel(ref_of(Program()))
    for call in (lambda: ref.save(tmp_path / "p.json"), lambda: ref.implementation.dump_state(ref.state),
                 lambda: ref.implementation.load_state(ref_of(Program()), {})):
        with pytest.raises(dspex.CapabilityError, match="parallel has no learned state to .*not a dspy.Module"):
            call()


def test_the_progress_line_is_drawn_only_when_asked(capsys):
    parallel(ref_of(Program()))(examples=[{"x": 1}])
    assert capsys.readouterr().err == ""
    parallel(ref_of(Program()), disable_progress_bar=False)(examples=[{"x": 1}, {"fail": 2}])
    err = capsys.readouterr().err
    assert "Processed 1 / 2 examples" in err and err.endswith("\n")


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"threads": 2}, "unknown option(s) 'threads'"),
    ({"num_threads": 0}, "num_threads must be a positive integer"),
    ({"num_threads": True}, "num_threads must be a positive integer"),
    ({"max_errors": -1}, "max_errors must be a non-negative number"),
    ({"access_examples": "yes"}, "access_examples must be True or False"),
    ({"return_failed_examples": None}, "return_failed_examples must be True or False"),
    ({"provide_traceback": 1}, "provide_traceback must be True, False or None"),
    ({"timeout": None}, "timeout must be a number of seconds"),
    ({"straggler_limit": 1.5}, "straggler_limit must be a non-negative integer"),
    ({"lm": "openai/gpt-4o-mini"}, "unknown option(s) 'lm'"),
])
def test_bad_options_are_input_errors_naming_them(options, message):
    with pytest.raises(InputError) as info:
        parallel(ref_of(Program()), **options)
    assert message in str(info.value)


def test_the_spec_must_be_a_module_ref():
    with pytest.raises(InputError, match="parallel wraps a module: pass the ModuleRef"):
        parallel("question -> answer")


@pytest.mark.parametrize("inputs, message", [
    ({}, "parallel's inputs are {'examples': [...]}"),
    ({"examples": [], "other": 1}, "parallel's inputs are {'examples': [...]}"),
    ({"num_threads": 2}, "parallel's inputs are {'examples': [...]}"),
    ({"examples": [{"x": 1}], "num_threads": 0}, "num_threads must be a positive integer"),
    ({"examples": {"x": 1}}, "examples must be a list"),
    ({"examples": "abc"}, "examples must be a list"),
    ({"examples": [{"x": 1}, ("a", "b")]}, "examples[1] is a tuple"),
    ({"examples": [{"x": 1}, Example(x=2)]}, "examples[1] is an Example without inputs marked"),
    ({"examples": [{1: "x"}]}, "examples[0] has a field named 1"),
])
def test_bad_examples_are_refused_before_any_call(inputs, message):
    program = Program()
    with pytest.raises(InputError) as info:
        dspex.execute(parallel(ref_of(program)), inputs)
    assert message in str(info.value) and program.calls == []
    with pytest.raises(InputError):
        asyncio.run(dspex.aexecute(parallel(ref_of(program)), inputs))
    assert program.calls == []


def test_bad_call_options_are_refused_before_any_call():
    program = Program()
    with pytest.raises(InputError, match="unknown call option"):
        dspex.execute(parallel(ref_of(program)), {"examples": [{"x": 1}]}, max_errors=3)
    with pytest.raises(InputError, match="num_threads must be a positive integer"):
        dspex.execute(parallel(ref_of(program)), {"examples": [{"x": 1}]}, num_threads=-2)
    assert program.calls == []
