"""Usage on predictions, ``dspex.track_usage`` budgets and prices, and the callbacks seam, with a
backend whose "LM calls" go through the core's recording functions as a real client's do."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

import dspex_core as dspex
from dspex_core import registry
from dspex_core._prices import clear_registered, cost_usd
from dspex_core.errors import BudgetExceededError, ConfigError, allows_fallback
from dspex_core.usage import check_budget, close_record, open_record, record

from core_test_plugins import BackendPlugin, Impl

ENTRY = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110,
         "prompt_tokens_details": {"cached_tokens": 40}, "completion_tokens_details": None}


class Spending(Impl):
    """Each execute makes ``calls`` LM calls: a budget check, then the call's usage recorded."""

    def __init__(self, calls: int = 1, model: str = "openai/gpt-4o-mini"):
        super().__init__("spend")
        self.calls, self.model, self.sent = calls, model, 0

    def execute(self, state, inputs, **options):
        if self.execute_error is not None:
            raise self.execute_error
        for _ in range(self.calls):
            check_budget()
            self.sent += 1
            record(self.model, ENTRY)
        return dspex.Prediction(answer="a")


@pytest.fixture
def spending():
    impl = Spending()
    registry._extra_plugins["spend"] = BackendPlugin("spend", ["predict"], native=True, impl=impl)
    registry.refresh()
    yield impl
    clear_registered()


def test_prediction_carries_its_calls_usage_in_dspy_shape(spending):
    spending.calls = 2
    pred = dspex.Predict.create("q -> answer")(q="x")
    assert pred.get_lm_usage() == {"openai/gpt-4o-mini": {
        "prompt_tokens": 200, "completion_tokens": 20, "total_tokens": 220,
        "prompt_tokens_details": {"cached_tokens": 80}, "completion_tokens_details": None}}


def test_no_call_no_usage(spending):
    spending.calls = 0
    assert dspex.Predict.create("q -> answer")(q="x").get_lm_usage() == {}


def test_track_usage_sums_and_prices(spending):
    ref = dspex.Predict.create("q -> answer")
    with dspex.track_usage() as outer:
        ref(q="1")
        with dspex.track_usage() as inner:
            ref(q="2")
    assert inner.total_tokens == 110 and outer.total_tokens == 220 and outer.calls == 2
    # 80 of the 200 prompt tokens were read from the cache: LiteLLM's cache read price for them
    assert outer.cost_usd == pytest.approx((120 * 0.15 + 80 * 0.075 + 20 * 0.6) / 1e6)
    dspex.register_prices({"gpt-4o-mini": (1.0, 2.0)})  # no cache price: cached tokens cost the input price
    assert outer.cost_usd == pytest.approx((200 * 1.0 + 20 * 2.0) / 1e6)


@pytest.mark.parametrize("price, expected", [
    ((3, 15, 0.3, 3.75), 1000 * 3 + 500 * 0.3 + 200 * 3.75 + 10 * 15),
    ({"input": 3, "output": 15, "cache_read": 0.3}, 1000 * 3 + 500 * 0.3 + 200 * 3 + 10 * 15),
    ((3, 15, None, None), 1700 * 3 + 10 * 15),
    ((3, 15), 1700 * 3 + 10 * 15),
])
def test_cached_prompt_tokens_cost_the_cache_prices(price, expected):
    """An entry's cache reads and writes (part of its prompt tokens, as dspy records them) at the
    model's cache read and write prices, the input price where it has none."""
    entry = {"prompt_tokens": 1700, "completion_tokens": 10, "total_tokens": 1710,
             "prompt_tokens_details": {"cached_tokens": 500, "cache_creation_tokens": 200}}
    with dspex.context(prices={"acme/cached": price}):
        with dspex.track_usage() as tracker:
            record("acme/cached", entry)
    assert tracker.cost_usd == pytest.approx(expected / 1e6)
    assert cost_usd("claude-sonnet-4-5", 1700, 10, cached_tokens=500, cache_creation_tokens=200) == \
        pytest.approx((1000 * 3 + 500 * 0.3 + 200 * 3.75 + 10 * 15) / 1e6)


def test_unknown_model_counts_tokens_without_cost():
    with dspex.track_usage() as tracker:
        record("acme/unknown", ENTRY)
    assert tracker.total_tokens == 110 and tracker.cost_usd is None and tracker.unpriced == ["acme/unknown"]


def test_configured_prices_win():
    with dspex.context(prices={"acme/m": (3, 4)}):
        assert cost_usd("acme/m", 1_000_000, 0, dspex.settings().prices) == 3.0
        with dspex.track_usage() as tracker:
            record("acme/m", ENTRY)
    assert tracker.cost_usd == pytest.approx((100 * 3 + 10 * 4) / 1e6)


@pytest.mark.parametrize("bad", [{"m": (1,)}, {"m": (-1, 2)}, {"m": "cheap"}, ["m"], {"": (1, 2)},
                                 {"m": (1, 2, 3)}, {"m": (1, 2, -0.1, None)}, {"m": (1, 2, "x", None)}])
def test_bad_prices_are_refused(bad):
    with pytest.raises(ConfigError, match="prices"):
        dspex.configure(prices=bad)


def test_token_budget_stops_before_the_call(spending):
    ref = dspex.Predict.create("q -> answer")
    with dspex.track_usage(budget_tokens=200) as tracker:
        ref(q="1")
        ref(q="2")
        with pytest.raises(BudgetExceededError, match="budget_tokens=200") as caught:
            ref(q="3")
    assert spending.sent == 2 and tracker.total_tokens == 220
    assert caught.value.kind == "tokens" and caught.value.spent == 220
    assert not allows_fallback(caught.value)


def test_usd_budget_stops_before_the_call(spending):
    dspex.register_prices({"openai/gpt-4o-mini": (10_000.0, 0.0)})  # 100 tokens = $1
    with dspex.track_usage(budget_usd=1.5):
        dspex.Predict.create("q -> answer")(q="1")
        dspex.Predict.create("q -> answer")(q="2")
        with pytest.raises(BudgetExceededError, match=r"budget_usd=1.5"):
            dspex.Predict.create("q -> answer")(q="3")
    assert spending.sent == 2


@pytest.mark.parametrize("bad", [{"budget_usd": -1}, {"budget_tokens": "10"}, {"budget_usd": True}])
def test_bad_budgets_are_refused(bad):
    with pytest.raises(ConfigError):
        with dspex.track_usage(**bad):
            pass


def test_trackers_are_per_thread_and_per_task():
    seen = {}

    def spend(name, times):
        with dspex.track_usage() as tracker:
            for _ in range(times):
                record("m", ENTRY)
        seen[name] = tracker.total_tokens

    threads = [threading.Thread(target=spend, args=(f"t{i}", i + 1)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def task(name, times):
        spend(name, times)

    async def main():
        await asyncio.gather(task("a", 1), task("b", 2))

    asyncio.run(main())
    assert seen == {"t0": 110, "t1": 220, "t2": 330, "a": 110, "b": 220}


def test_a_record_holds_what_was_written_while_open_and_it_still_counts_everywhere(spending):
    """``open_record``/``close_record`` (a listener's view of one LM call's usage) see the entries
    written in between, and take nothing from the module call around them or an open tracker."""
    seen = []

    class Listened(Impl):
        def execute(self, state, inputs, **options):
            record("m", ENTRY)  # before: not in the record
            opened = open_record()
            record("m", ENTRY)
            record("n", ENTRY)
            seen.append(close_record(opened))
            return dspex.Prediction(answer="a")

    registry._extra_plugins["listened"] = BackendPlugin("listened", ["chain_of_thought"], native=True,
                                                        impl=Listened("listened"))
    registry.refresh()
    with dspex.track_usage() as tracker:
        pred = dspex.ChainOfThought.create("q -> answer")(q="x")
    assert seen == [[("m", ENTRY), ("n", ENTRY)]]
    assert pred.get_lm_usage()["m"]["total_tokens"] == 220 and pred.get_lm_usage()["n"]["total_tokens"] == 110
    assert tracker.total_tokens == 330


def test_records_are_per_task_and_see_their_worker_threads(spending):
    async def call(times):
        opened = open_record()
        for _ in range(times):
            record("m", ENTRY)
            await asyncio.sleep(0)  # the other task writes meanwhile
        return close_record(opened)

    async def main():
        return await asyncio.gather(call(1), call(2))

    assert [len(found) for found in asyncio.run(main())] == [1, 2]
    opened = open_record()
    dspex.map(dspex.Predict.create("q -> answer"), [{"q": "1"}, {"q": "2"}, {"q": "3"}])  # one call each
    assert len(close_record(opened)) == 3


class Recorder:
    def __init__(self):
        self.events = []

    def on_module_start(self, call_id, instance, inputs):
        self.events.append(("on_module_start", call_id, instance, inputs))

    def on_module_end(self, call_id, outputs, exception=None):
        self.events.append(("on_module_end", call_id, outputs, exception))


def test_module_callbacks_fire_around_the_call(spending):
    recorder = Recorder()
    dspex.configure(callbacks=[recorder])
    ref = dspex.Predict.create("q -> answer")
    pred = ref(q="x")
    (start, end) = recorder.events
    assert start[0] == "on_module_start" and start[2] is ref and start[3] == {"args": (), "kwargs": {"q": "x"}}
    assert end == ("on_module_end", start[1], pred, None)


def test_failing_module_reports_the_exception(spending):
    recorder = Recorder()
    spending.execute_error = RuntimeError("boom")
    with dspex.context(callbacks=[recorder], allow_fallback=False):
        with pytest.raises(RuntimeError):
            dspex.Predict.create("q -> answer")(q="x")
    assert recorder.events[-1][2] is None and isinstance(recorder.events[-1][3], RuntimeError)


def test_a_raising_callback_is_logged_and_never_breaks_the_call(spending, caplog):
    class Broken:
        def on_module_start(self, call_id, instance, inputs):
            raise ValueError("listener bug")

        on_module_end = on_module_start

    recorder = Recorder()
    with dspex.context(callbacks=[Broken(), recorder]), caplog.at_level(logging.WARNING, "dspex_core.callbacks"):
        assert dspex.Predict.create("q -> answer")(q="x").answer == "a"
    assert [e[0] for e in recorder.events] == ["on_module_start", "on_module_end"]
    assert "listener bug" in caplog.text


def test_callbacks_are_context_local_and_async(spending):
    recorder = Recorder()
    ref = dspex.Predict.create("q -> answer")

    async def main():
        with dspex.context(callbacks=[recorder]):
            await ref.acall(q="x")
        await ref.acall(q="y")

    asyncio.run(main())
    assert [e[0] for e in recorder.events] == ["on_module_start", "on_module_end"]



def test_hears_tells_which_kinds_a_set_of_callbacks_handles():
    from dspex_core.callbacks import hears

    class ParseEnd:
        def on_adapter_parse_end(self, call_id, outputs, exception=None):
            pass

    recorder, parse_end = Recorder(), ParseEnd()
    found = (recorder,)
    assert hears(found, "module") and not hears(found, "adapter_parse") and not hears(found, "lm")
    assert hears(found, "module")  # asked again: the kept answer
    assert hears((recorder, parse_end), "adapter_parse") and not hears((parse_end,), "module")
    assert not hears((), "module") and not hears(found, "adapter_parse")

@pytest.mark.parametrize("bad", ["cb", [None], [1], {"a": 1}])
def test_bad_callbacks_are_refused(bad):
    with pytest.raises(ConfigError, match="callbacks"):
        dspex.configure(callbacks=bad)


def test_nested_calls_roll_up_into_the_outer_prediction(spending):
    inner = dspex.Predict.create("q -> answer")

    class Outer(Impl):
        def execute(self, state, inputs, **options):
            first, second = inner(q="1"), inner(q="2")
            assert first.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] == 110
            return dspex.Prediction(answer=first.answer + second.answer)

    registry._extra_plugins["outer"] = BackendPlugin("outer", ["chain_of_thought"], native=True, impl=Outer("outer"))
    registry.refresh()
    pred = dspex.ChainOfThought.create("q -> answer")(q="x")
    assert pred.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] == 220


def test_calls_in_worker_threads_count_toward_the_module_that_started_them(spending):
    inner = dspex.Predict.create("q -> answer")

    class Fanout(Impl):
        def execute(self, state, inputs, **options):
            results = dspex.map(inner, [{"q": str(i)} for i in range(4)])
            assert all(r.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] == 110 for r in results)
            return dspex.Prediction(answer="done")

    registry._extra_plugins["fan"] = BackendPlugin("fan", ["chain_of_thought"], native=True, impl=Fanout("fan"))
    registry.refresh()
    ref = dspex.ChainOfThought.create("q -> answer")
    assert ref(q="x").get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] == 440
    assert ref(q="y").get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] == 440  # nothing kept between calls
