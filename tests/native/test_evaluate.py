"""The native ``evaluate`` module type: scores, failures, max_errors, progress, async."""

import asyncio
import io
import threading

import pytest
from hypothesis import given, strategies as st

import dspex_core as dspex
from dspex_core import Example, InputError, Prediction
from dspex_core.errors import EvaluationError


def devset(*pairs):
    return [Example(question=q, answer=a).with_inputs("question") for q, a in pairs]


DEV = devset(("1+1", "2"), ("2+2", "4"), ("3+3", "6"), ("capital of France", "Paris"))


def program(question):
    answers = {"1+1": "2", "2+2": "4", "3+3": "7", "capital of France": "paris"}
    return Prediction(answer=answers[question])


def exact(example, pred, trace=None):
    return example.answer == pred.answer


def make(**options):
    return dspex.create("evaluate", implementation="native", **options)


def test_score_and_results_in_devset_order():
    ev = make(devset=DEV, metric=exact, num_threads=3)
    result = ev(program=program)
    assert result.score == 50.0
    assert [r[0] for r in result.results] == DEV
    assert [r[2] for r in result.results] == [True, True, False, False]
    assert result.results[2][1].answer == "7"


def test_named_native_metric_and_metric_module():
    assert make(devset=DEV, metric="answer_exact_match")(program=program).score == 75.0
    ref = dspex.create("metrics", "answer_exact_match", implementation="native")
    assert make(devset=DEV, metric=ref)(program=program).score == 75.0


def test_module_ref_program():
    class Echo:
        def create(self, spec, **options):
            return None

        def execute(self, state, inputs, **options):
            return Prediction(answer=inputs["question"])

    ref = dspex.ModuleRef("native", "x", None, "s", implementation=Echo())
    ev = make(devset=devset(("a", "a"), ("b", "c")), metric=exact)
    assert ev(program=ref).score == 50.0
    assert asyncio.run(ev.acall(program=ref)).score == 50.0


def test_rounding_matches_dspy():
    dev = devset(("a", "a"), ("b", "b"), ("c", "x"))
    assert make(devset=dev, metric=exact)(program=lambda question: Prediction(answer=question)).score == 66.67


def test_failures_score_failure_score_with_an_empty_prediction(caplog):
    def flaky(question):
        if question == "2+2":
            raise RuntimeError("boom")
        return program(question)

    result = make(devset=DEV, metric=exact, failure_score=0.5)(program=flaky)
    assert result.score == round(100 * 1.5 / 4, 2)
    example, pred, score = result.results[1]
    assert pred.toDict() == {} and score == 0.5
    assert "boom" in caplog.text


def test_metric_errors_count_as_failures():
    def bad_metric(example, pred):
        if example.answer == "6":
            raise KeyError("x")
        return 1.0

    assert make(devset=DEV, metric=bad_metric)(program=program).score == 75.0


@pytest.mark.parametrize("threads", [1, 4])
def test_max_errors_stops_the_run(threads):
    calls = []
    lock = threading.Lock()

    def broken(question):
        with lock:
            calls.append(question)
        raise ValueError(f"bad {question}")

    dev = devset(*[(str(i), str(i)) for i in range(20)])
    with pytest.raises(EvaluationError) as info:
        make(devset=dev, metric=exact, max_errors=3, num_threads=threads)(program=broken)
    assert "max_errors=3" in str(info.value) and "ValueError: bad" in str(info.value)
    assert len(info.value.errors) >= 3
    assert isinstance(info.value, InputError)
    if threads == 1:
        assert len(calls) == 3  # the remaining examples were not run


def test_default_max_errors_is_dspys():
    dev = devset(*[(str(i), str(i)) for i in range(10)])

    def broken(question):
        raise ValueError("x")

    with pytest.raises(EvaluationError, match="max_errors=10"):
        make(devset=dev, metric=exact, num_threads=1)(program=broken)
    assert make(devset=dev[:9], metric=exact)(program=broken).score == 0.0


def test_progress_bar_only_when_asked_or_on_a_terminal(monkeypatch, capsys):
    make(devset=DEV, metric=exact, display_progress=True)(program=program)
    err = capsys.readouterr().err
    assert "\rAverage Metric: 2.00 / 4 (50.0%)" in err and err.endswith("4/4\n")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    make(devset=DEV, metric=exact)(program=program)
    assert "Average Metric" in term.getvalue()
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    make(devset=DEV, metric=exact, display_progress=False)(program=program)
    assert quiet.getvalue() == ""


def test_no_progress_when_stderr_is_not_a_terminal(capsys):
    make(devset=DEV, metric=exact)(program=program)
    assert capsys.readouterr().err == ""


def test_async_with_coroutine_programs_and_sync_ones():
    async def aprogram(question):
        await asyncio.sleep(0)
        return program(question)

    ev = make(devset=DEV, metric=exact, num_threads=2)
    assert asyncio.run(dspex.aexecute(ev, {"program": aprogram})).score == 50.0
    assert asyncio.run(dspex.aexecute(ev, {"program": program})).score == 50.0

    async def ametric(example, pred):
        return example.answer == pred.answer

    assert asyncio.run(dspex.aexecute(ev, {"program": aprogram}, metric=ametric)).score == 50.0


def test_call_options_override_create_options():
    ev = make(devset=DEV, metric=exact)
    assert dspex.execute(ev, {"program": program}, devset=DEV[:2]).score == 100.0
    assert dspex.execute(ev, {"program": program}, metric=lambda e, p: 1).score == 100.0


def test_context_carries_into_workers():
    seen = []

    def spy(question):
        seen.append(dspex.settings().prefer_native)
        return program(question)

    with dspex.context(prefer_native=False):
        make(devset=DEV, metric=exact, num_threads=4)(program=spy)
    assert seen == [False] * 4


@pytest.mark.parametrize("options, fragment", [
    ({}, "needs devset"), ({"devset": []}, "empty devset"), ({"devset": [{"a": 1}]}, "not an Example"),
    ({"devset": [Example(a=1)]}, "with_inputs"), ({"devset": DEV, "metric": 3}, "callable"),
    ({"devset": DEV, "metric": "f1"}, "not an example/prediction metric"),
    ({"devset": DEV, "num_threads": 0}, "num_threads"), ({"devset": DEV, "max_errors": -1}, "max_errors"),
    ({"devset": DEV, "failure_score": "x"}, "failure_score"), ({"devset": DEV, "display_progress": "yes"},
                                                                "display_progress"),
    ({"devset": DEV, "threads": 2}, "unknown options"),
])
def test_bad_options(options, fragment):
    with pytest.raises(InputError, match=fragment):
        make(**options)


def test_bad_inputs():
    ev = make(devset=DEV)
    with pytest.raises(InputError, match="needs metric"):
        ev(program=program)
    ev = make(devset=DEV, metric=exact)
    with pytest.raises(InputError, match="program"):
        dspex.execute(ev, {"prog": program})
    with pytest.raises(InputError, match="ModuleRef or a callable"):
        ev(program=3)
    with pytest.raises(InputError, match="call options"):
        dspex.execute(ev, {"program": program}, failure_score=1)
    with pytest.raises(InputError, match="takes no spec"):
        dspex.create("evaluate", "x", implementation="native", devset=DEV)


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=12), st.floats(0, 1))
def test_score_is_the_rounded_mean_with_failures(rows, failure):
    dev = [Example(i=i, s=s, fail=f).with_inputs("i", "s", "fail") for i, (s, f) in enumerate(rows)]

    def prog(i, s, fail):
        if fail:
            raise RuntimeError("x")
        return Prediction(s=s)

    result = make(devset=dev, metric=lambda e, p: p.s, failure_score=failure, max_errors=1000,
                  num_threads=3)(program=prog)
    scores = [failure if f else s for s, f in rows]
    assert [r[2] for r in result.results] == scores
    assert result.score == round(100 * sum(scores) / len(scores), 2)


def test_provide_traceback_logs_the_traceback(caplog):
    def broken(question):
        raise RuntimeError("deep")

    make(devset=DEV[:1], metric=exact, provide_traceback=True)(program=broken)
    assert "Traceback" in caplog.text and "deep" in caplog.text
    caplog.clear()
    make(devset=DEV[:1], metric=exact)(program=broken)
    assert "Traceback" not in caplog.text and "provide_traceback=True" in caplog.text
    with pytest.raises(InputError, match="provide_traceback"):
        make(devset=DEV, provide_traceback="yes")


# -- executors --------------------------------------------------------------------------------

def test_the_asyncio_executor_gives_the_threads_executors_results():
    with dspex.context(lm=dspex.OfflineLM()):  # the tasks of the asyncio executor start from this context
        ref = dspex.Predict.create("question -> answer", implementation="native")
        on_threads = make(devset=DEV, metric=exact)(program=ref)
        on_asyncio = make(devset=DEV, metric=exact, executor="asyncio")(program=ref)
        by_call = dspex.execute(make(devset=DEV, metric=exact), {"program": ref}, executor="asyncio")
    assert on_asyncio.results == on_threads.results and on_asyncio.score == on_threads.score
    assert by_call.results == on_threads.results
    assert make(devset=DEV, metric=exact, executor="asyncio")(program=program).score == 50.0  # a plain function


def test_max_errors_and_none_scores_hold_on_an_executor_with_run():
    def failing(question):
        raise RuntimeError(f"no answer to {question}")

    stopped = r"stopped: 2 examples failed \(max_errors=2\); first failure, devset\[0\]"
    with pytest.raises(EvaluationError, match=stopped):
        make(devset=DEV, metric=exact, max_errors=2, executor="asyncio", num_threads=1)(program=failing)
    with pytest.raises(InputError, match="returned None for devset.0."):
        make(devset=DEV, metric=lambda e, p: None, executor="asyncio")(program=program)


def test_an_unknown_executor_is_named_at_create():
    with pytest.raises(InputError, match="no executor named 'rya'; installed: asyncio, threads"):
        make(devset=DEV, metric=exact, executor="rya")
