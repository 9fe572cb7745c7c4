"""Native usage, budgets and callbacks against the local server (which reports usage in every
answer): usage per prediction and per block, a budget that stops the next call before any
request is sent, cache hits that cost nothing, and callbacks that never break a call."""

from __future__ import annotations

import asyncio
import logging

import pytest

import dspex_core as dspex
from dspex_core import config
from dspex_core.testing.fixtures import local_lm_server_factory  # noqa: F401 - fixture

REPLY = "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"


@pytest.fixture
def server(local_lm_server_factory):
    config.reset()
    yield local_lm_server_factory(lambda messages, settings: REPLY)
    config.reset()


def _lm(server, **settings):
    return dspex.LM("openai/usage-model", api_base=server.url, api_key="sk-usage-0123456789", **settings)


def test_prediction_usage_is_the_servers(server):
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))
    first = ref(question="2+2?").get_lm_usage()
    entry = first["openai/usage-model"]
    assert set(entry) == {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                          "completion_tokens_details"}
    assert entry["total_tokens"] == entry["prompt_tokens"] + entry["completion_tokens"] > 0
    assert ref(question="2+2?").get_lm_usage() == first  # each prediction has its own calls only


def test_cache_hits_add_no_usage(server):
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=True))
    with dspex.track_usage() as tracker:
        paid = ref(question="cached?").get_lm_usage()
        hit = ref(question="cached?").get_lm_usage()
    assert hit == {} and tracker.get_total_tokens() == paid and tracker.calls == 1
    assert len(server.chat_requests) == 1


def test_budget_stops_the_call_before_any_request(server):
    ref = dspex.ChainOfThought.create("question -> answer", lm=_lm(server, cache=False))
    server_reply = "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"
    server.responder = lambda messages, settings: server_reply  # noqa: ARG005
    with dspex.track_usage(budget_tokens=1) as tracker:
        ref(question="one")
        sent = len(server.chat_requests)
        with pytest.raises(dspex.BudgetExceededError, match="budget_tokens=1") as caught:
            ref(question="two")
    assert len(server.chat_requests) == sent == 1
    assert caught.value.spent == tracker.total_tokens > 1


def test_budget_in_usd_with_configured_prices(server):
    dspex.configure(prices={"openai/usage-model": (1_000_000.0, 0.0)})  # $1 per prompt token
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))
    with dspex.track_usage(budget_usd=0.5) as tracker:
        ref(question="one")
        with pytest.raises(dspex.BudgetExceededError, match="budget_usd=0.5"):
            ref(question="two")
    assert tracker.cost_usd == tracker.get_total_tokens()["openai/usage-model"]["prompt_tokens"]
    assert len(server.chat_requests) == 1


def test_async_calls_count_in_their_own_task(server):
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))

    async def one(times):
        with dspex.track_usage() as tracker:
            for _ in range(times):
                await ref.acall(question="2+2?")
        return tracker.calls

    async def main():
        return await asyncio.gather(one(1), one(2), one(3))

    assert asyncio.run(main()) == [1, 2, 3]


class Recorder:
    def __init__(self):
        self.names = []

    def __getattr__(self, name):
        if not name.startswith("on_"):
            raise AttributeError(name)
        return lambda **kwargs: self.names.append(name)


def test_a_raising_callback_never_breaks_a_native_call(server, caplog):
    class Broken:
        def on_lm_start(self, call_id, instance, inputs):
            raise RuntimeError("listener bug")

        def on_adapter_parse_end(self, call_id, outputs, exception=None):
            raise RuntimeError("listener bug")

    recorder = Recorder()
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))
    with dspex.context(callbacks=[Broken(), recorder]), caplog.at_level(logging.WARNING, "dspex_core.callbacks"):
        assert ref(question="2+2?").answer == "4"
    assert recorder.names == ["on_module_start", "on_adapter_format_start", "on_adapter_format_end", "on_lm_start",
                              "on_lm_end", "on_adapter_parse_start", "on_adapter_parse_end", "on_module_end"]
    assert caplog.text.count("listener bug") == 2


def test_async_predictor_fires_the_same_events(server):
    recorder = Recorder()
    ref = dspex.ChainOfThought.create("question -> answer", lm=_lm(server, cache=False))
    server.responder = lambda m, s: "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"

    async def main():
        with dspex.context(callbacks=[recorder]):
            await ref.acall(question="2+2?")

    asyncio.run(main())
    assert recorder.names == ["on_module_start", "on_module_start", "on_adapter_format_start",
                              "on_adapter_format_end", "on_lm_start", "on_lm_end", "on_adapter_parse_start",
                              "on_adapter_parse_end", "on_module_end", "on_module_end"]


def test_no_callbacks_no_events_outside_the_block(server):
    recorder = Recorder()
    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))
    with dspex.context(callbacks=[recorder]):
        pass
    ref(question="2+2?")
    assert recorder.names == []


def test_adapter_events_go_to_whoever_handles_either_end(server):
    """The predictor skips an adapter event pair only when no callback has either of its handlers:
    one with only ``on_adapter_parse_end`` still gets it, with its id; one without adapter
    handlers at all gets its module and LM events unchanged."""
    seen = []

    class ParseEnds:
        def on_adapter_parse_end(self, call_id, outputs, exception=None):
            seen.append((call_id, dict(outputs)))

    class ModulesOnly:
        def on_module_start(self, call_id, instance, inputs):
            seen.append("start")

        def on_module_end(self, call_id, outputs, exception=None):
            seen.append("end")

    ref = dspex.Predict.create("question -> answer", lm=_lm(server, cache=False))
    with dspex.context(callbacks=[ModulesOnly()]):
        ref(question="2+2?")
    with dspex.context(callbacks=[ParseEnds()]):
        ref(question="3+1?")
    assert seen[:2] == ["start", "end"] and len(seen) == 3
    call_id, outputs = seen[2]
    assert len(call_id) == 32 and int(call_id, 16) >= 0 and outputs == {"answer": "4"}
