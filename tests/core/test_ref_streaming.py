"""ModuleRef.stream / astream: what the core adds to a backend's stream (checks, usage, callbacks,
deadline, fallback) and what it does for a backend that cannot stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import Prediction, StreamChunk, registry
from dspex_core.backend import check_implementation, implemented_methods, lm_deadline
from dspex_core.errors import CapabilityError, PluginError
from dspex_core.usage import record

from core_test_plugins import BackendPlugin, Impl


class Streams(Impl):
    """Streams two pieces of ``answer``, recording usage and the deadline it sees; can fail after ``fail_after``."""

    def __init__(self, backend: str, items: Any = None, fail_after: int | None = None):
        super().__init__(backend)
        self.items = items
        self.fail_after = fail_after
        self.deadlines: list[Any] = []

    def stream(self, state: Any, inputs: Any, **options: Any):
        self.deadlines.append(lm_deadline.Deadline(None, "m").bound_by_call)
        items = self.items if self.items is not None else [
            StreamChunk("answer", "hel"), StreamChunk("answer", "lo"), Prediction(answer="hello")]
        for index, item in enumerate(items):
            if index == self.fail_after:
                raise CapabilityError("this backend broke")
            if isinstance(item, Prediction):
                record("m", {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
            yield item


class AsyncStreams(Streams):
    async def astream(self, state: Any, inputs: Any, **options: Any):
        for item in self.stream(state, inputs, **options):
            yield item


def install(*plugins: BackendPlugin) -> None:
    for plugin in plugins:
        registry.register_plugin(plugin, plugin.name)


def test_stream_chunk_is_public_and_named_like_dspys_stream_response():
    chunk = dspex.StreamChunk("answer", "hi", "predict")
    assert (chunk.field, chunk.text, chunk.predict_name) == ("answer", "hi", "predict")
    assert dspex.StreamChunk("a", "b") == StreamChunk("a", "b", "self") and "StreamChunk" in dspex.__all__


def test_a_stream_yields_the_chunks_then_the_prediction_with_its_usage_and_deadline():
    impl = Streams("s")
    install(BackendPlugin("s", ["predict"], impl=impl))
    ref = dspex.Predict.create("q -> answer")
    items = list(ref.stream(q="x"))
    assert items[:2] == [StreamChunk("answer", "hel"), StreamChunk("answer", "lo")]
    assert items[2] == Prediction(answer="hello")
    assert items[2].get_lm_usage()["m"]["total_tokens"] == 3
    assert impl.deadlines == [1800.0]  # the streaming profile
    list(ref.stream(q="x", timeout=5))
    with dspex.context(timeout_profiles={"streaming": 60}):
        list(ref.stream(q="x"))
    assert impl.deadlines[1:] == [5.0, 60.0]
    assert implemented_methods(impl) >= {"stream"}


def test_a_backend_that_cannot_stream_yields_its_final_prediction_alone():
    install(BackendPlugin("plain", ["predict"]))
    ref = dspex.Predict.create("q -> a")
    assert list(ref.stream(q="x")) == [Prediction(backend="plain", q="x")]

    async def collect():
        return [item async for item in ref.astream(q="x")]

    assert asyncio.run(collect()) == [Prediction(backend="plain", q="x")]


@pytest.mark.parametrize("impl", [Streams("s"), AsyncStreams("s")], ids=["sync stream in threads", "astream"])
def test_astream(impl):
    install(BackendPlugin("s", ["predict"], impl=impl))
    ref = dspex.Predict.create("q -> answer")

    async def collect():
        return [item async for item in ref.astream(q="x")]

    items = asyncio.run(collect())
    assert items[-1] == Prediction(answer="hello") and len(items) == 3
    assert items[-1].get_lm_usage()["m"]["total_tokens"] == 3


@pytest.mark.parametrize("items, message", [
    ([StreamChunk("a", "x"), "text"], "yielded builtins.str from stream"),
    ([StreamChunk("a", "x")], "without the final Prediction"),
    ([Prediction(a=1), StreamChunk("a", "x")], "after the final Prediction"),
])
def test_a_backend_yielding_the_wrong_things_is_a_plugin_error(items, message):
    install(BackendPlugin("s", ["predict"], impl=Streams("s", items)))
    with pytest.raises(PluginError, match=message):
        list(dspex.Predict.create("q -> a").stream(q="x"))


def test_a_backend_failing_before_its_first_item_falls_back_after_it_raises():
    install(BackendPlugin("first", ["predict"], native=True, priority=10, impl=Streams("first", fail_after=0)),
            BackendPlugin("second", ["predict"]))
    with dspex.context(allow_fallback=True):
        ref = dspex.Predict.create("q -> a")
        assert ref.backend == "first"
        assert list(ref.stream(q="x")) == [Prediction(backend="second", q="x")]
        registry.register_plugin(BackendPlugin("late", ["predict"], native=True, priority=20,
                                               impl=Streams("late", fail_after=1)), "late")
        late = dspex.Predict.create("q -> a")
        with pytest.raises(CapabilityError, match="broke"):
            list(late.stream(q="x"))


def test_callbacks_fire_around_the_whole_stream():
    events = []

    class Listener:
        def on_module_start(self, call_id, instance, inputs):
            events.append(("start", inputs["kwargs"]))

        def on_module_end(self, call_id, outputs, exception):
            events.append(("end", outputs))

    install(BackendPlugin("s", ["predict"], impl=Streams("s")))
    ref = dspex.Predict.create("q -> answer")
    with dspex.context(callbacks=[Listener()]):
        items = ref.stream(q="x")
        assert next(items) == StreamChunk("answer", "hel") and events == [("start", {"q": "x"})]
        rest = list(items)
    assert events[-1] == ("end", rest[-1]) and len(events) == 2


def test_the_contract_checks_stream_and_astream():
    class Wrong:
        def create(self, spec, **options):
            return spec

        def execute(self, state, inputs, **options):
            return Prediction()

        def stream(self, state, inputs):  # no **options
            yield Prediction()

        async def astream(self, state, inputs, **options):  # a coroutine, not an async generator
            return Prediction()

    problems = "\n".join(check_implementation(Wrong()))
    assert "stream(state, inputs) must accept **options" in problems
    assert "astream() must be an async generator" in problems
    assert check_implementation(AsyncStreams("ok")) == []
    assert {"stream", "astream"} <= implemented_methods(AsyncStreams("ok"))
