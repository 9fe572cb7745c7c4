"""Example, Prediction, LM and the threads executor: the small value types of the core."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import LM, Example, Prediction
from dspex_core._lm import is_custom_lm
from dspex_core.errors import ConfigError
from dspex_core.executors import ExecutorFailure, ThreadExecutor


def test_example_access_and_inputs():
    ex = Example(question="q", answer="a", extra=1)
    assert ex.question == ex["question"] == "q" and len(ex) == 3 and "answer" in ex
    with pytest.raises(AttributeError, match="fields: \\['question', 'answer', 'extra'\\]"):
        ex.nope  # noqa: B018
    with pytest.raises(ValueError, match="with_inputs"):
        ex.inputs()
    marked = ex.with_inputs("question")
    assert marked.input_keys == frozenset({"question"}) and ex.input_keys is None
    assert marked.inputs().toDict() == {"question": "q"}
    assert marked.labels().toDict() == {"answer": "a", "extra": 1}
    assert marked.without("extra").toDict() == {"question": "q", "answer": "a"}
    assert marked.copy(answer="b").answer == "b" and marked.answer == "a"
    assert Example({"a": 1}) == Example(a=1) and hash(Example(a=1)) == hash(Example(a=1))
    ex.new = 2
    ex["other"] = 3
    del ex["extra"]
    assert dict(ex.items()) == {"question": "q", "answer": "a", "new": 2, "other": 3}
    assert repr(marked) == "Example({'question': 'q', 'answer': 'a', 'extra': 1}) (input_keys={'question'})"


def test_prediction():
    pred = Prediction(answer="42")
    assert pred.answer == pred["answer"] == "42"
    assert pred.completions == [{"answer": "42"}]
    many = Prediction.from_completions([{"answer": "1"}, {"answer": "2"}])
    assert many.answer == "1" and [c["answer"] for c in many.completions] == ["1", "2"]
    assert pred.get_lm_usage() is None
    pred.set_lm_usage({"prompt_tokens": 3})
    assert pred.get_lm_usage() == {"prompt_tokens": 3}
    assert isinstance(pred, Example)


def test_lm_description_hides_secrets():
    lm = LM("openai/gpt-4o-mini", temperature=0.0, api_key="sk-secret-123")
    assert (lm.provider, lm.model_name) == ("openai", "gpt-4o-mini")
    assert LM("gpt-4o").provider == "openai"
    assert lm.secret("api_key") == "sk-secret-123"
    assert "sk-secret" not in repr(lm) and "api_key=<hidden>" in repr(lm)
    assert "api_key" not in lm.public_settings()
    copy = lm.copy(temperature=0.7)
    assert copy.settings["temperature"] == 0.7 and copy.secret("api_key") == "sk-secret-123"
    assert lm == LM("openai/gpt-4o-mini", temperature=0.0)
    with pytest.raises(ConfigError, match="model string"):
        LM("")
    assert is_custom_lm(lambda messages, **kw: ["x"]) and not is_custom_lm(lm) and not is_custom_lm(None)


def test_configured_lm_secret_not_in_settings_repr():
    dspex.configure(lm=LM("openai/gpt-4o-mini", api_key="sk-secret-123"))
    assert "sk-secret" not in repr(dspex.settings())


def test_thread_executor_order_failures_and_context():
    var = contextvars.ContextVar("v", default="unset")
    var.set("caller")

    def work(x):
        if x == 3:
            raise ValueError("three")
        return (x * 10, var.get())

    seen = []
    results = ThreadExecutor().map(work, range(6), max_workers=3, on_result=lambda i, r: seen.append(i))
    assert [r for i, r in enumerate(results) if i != 3] == [(i * 10, "caller") for i in (0, 1, 2, 4, 5)]
    assert isinstance(results[3], ExecutorFailure) and str(results[3].error) == "three"
    assert sorted(seen) == list(range(6))
    assert ThreadExecutor().map(work, [], max_workers=2) == []
    assert ThreadExecutor().map(work, [1], max_workers=1) == [(10, "caller")]


@given(st.integers(0, 60), st.integers(1, 9))
def test_thread_executor_runs_each_item_once_in_order_in_its_own_context(n, workers):
    var = contextvars.ContextVar("item", default=None)
    threads = set()

    def work(x):
        assert var.get() is None  # no other item's setting leaks in
        var.set(x)
        threads.add(threading.get_ident())
        return x * x

    assert ThreadExecutor().map(work, range(n), max_workers=workers) == [x * x for x in range(n)]
    assert len(threads) <= max(1, min(workers, n))
    assert var.get() is None


def test_thread_executor_stops_and_raises_when_on_result_raises():
    done = []

    def on_result(index, result):
        done.append(index)
        if index == 2:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ThreadExecutor().map(lambda x: x, range(1000), max_workers=2, on_result=on_result)
    assert len(done) < 1000  # the workers stopped taking items


def test_thread_executor_amap():
    async def work(x):
        await asyncio.sleep(0)
        if x == 1:
            raise KeyError(x)
        return x

    results = asyncio.run(ThreadExecutor().amap(work, [0, 1, 2], max_workers=2))
    assert results[0] == 0 and results[2] == 2 and isinstance(results[1], ExecutorFailure)


def test_copy_deepcopy_and_pickle():
    import copy
    import pickle

    ex = Example(question="q", tags=["a"], _note="kept").with_inputs("question")
    assert ex._note == "kept"
    shallow = copy.copy(ex)
    shallow.extra = 1
    assert "extra" not in ex and shallow.tags is ex.tags and shallow.input_keys == ex.input_keys
    deep = copy.deepcopy(ex)
    assert deep == ex and deep.tags is not ex.tags and deep.input_keys == frozenset({"question"})
    assert pickle.loads(pickle.dumps(ex)) == ex
    pred = Prediction.from_completions([{"answer": "1"}, {"answer": "2"}])
    pred.set_lm_usage({"total_tokens": 3})
    for again in (copy.deepcopy(pred), pickle.loads(pickle.dumps(pred)), copy.copy(pred)):
        assert type(again) is Prediction and again.answer == "1"
        assert [c["answer"] for c in again.completions] == ["1", "2"]
        assert again.get_lm_usage() == {"total_tokens": 3}


def test_to_dict_turns_nested_records_into_plain_data_as_dspy():
    from dspex_core import History

    inner = Example(a=1)
    history = History(messages=[{"question": "q", "answer": "a"}])
    ex = Example(history=history, items=[inner, {"k": inner}], n=3)
    assert ex.toDict() == {"history": {"messages": [{"question": "q", "answer": "a"}]},
                           "items": [{"a": 1}, {"k": {"a": 1}}], "n": 3}
