"""GenAI spans for module calls and LM requests, checked with the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import dspex_core as dspex
import dspex_otel
from dspex_core import callbacks

from conftest import COT_REPLY, PLANTED_KEY, REPLY, parent_of


def test_the_plugin_is_installed_by_its_entry_point(otel):
    dspex.Predict.create("question -> answer")  # builds the registry
    assert dspex_otel.callback() in callbacks._from_plugins


def test_a_predict_call_is_a_module_span_around_a_chat_client_span(otel, lm, server):
    pred = dspex.Predict.create("question -> answer", lm=lm, config={"temperature": 0.3, "max_tokens": 64})(
        question="Capital of France?")
    assert pred.answer == "Paris"
    spans = otel.spans()
    assert [s.name for s in spans] == ["chat local", "dspex.module predict"]
    chat, module = spans
    assert chat.kind is SpanKind.CLIENT and module.kind is SpanKind.INTERNAL
    assert parent_of(chat, spans) is module and module.parent is None
    usage = pred.get_lm_usage()["openai/local"]
    assert dict(chat.attributes) == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "local",
        "server.address": "127.0.0.1", "server.port": server.port,
        "gen_ai.request.temperature": 0.3, "gen_ai.request.max_tokens": 64,
        "gen_ai.usage.input_tokens": usage["prompt_tokens"], "gen_ai.usage.output_tokens": usage["completion_tokens"]}
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert dict(module.attributes) == {"dspex.module.type": "predict", "dspex.backend": "native"}
    assert chat.status.status_code is StatusCode.UNSET


def test_chain_of_thought_nests_its_inner_predict(otel, lm, replies):
    replies.default = COT_REPLY
    dspex.ChainOfThought.create("question -> answer", lm=lm)(question="q")
    spans = otel.spans()
    outer, = otel.named("dspex.module chain_of_thought")
    inner, = otel.named("dspex.module predict")
    chat, = otel.named("chat local")
    assert parent_of(inner, spans) is outer and parent_of(chat, spans) is inner


def test_a_failed_request_sets_error_type_and_status(otel, lm, server):
    server.inject(status=400, times=1)
    with pytest.raises(Exception) as raised:
        dspex.Predict.create("question -> answer", lm=lm)(question="q")
    chat, = otel.named("chat local")
    module, = otel.named("dspex.module predict")
    assert chat.status.status_code is StatusCode.ERROR and module.status.status_code is StatusCode.ERROR
    assert chat.attributes["error.type"] == type(raised.value).__qualname__
    (metric, point), = otel.points("gen_ai.client.operation.duration")
    assert point.attributes["error.type"] == type(raised.value).__qualname__
    assert otel.points("gen_ai.client.token.usage") == []


def test_pipeline_steps_are_children_of_the_pipeline_span(otel, lm, replies):
    replies.queue[:] = [REPLY, "[[ ## summary ## ]]\nShort.\n\n[[ ## completed ## ]]"]
    p = dspex.pipeline([("native", dspex.Predict, {"signature": "question -> answer", "lm": lm}),
                        ("native", dspex.Predict, {"signature": "answer -> summary", "lm": lm})])
    dspex.run_pipeline(p, {"question": "q"})
    spans = otel.spans()
    pipeline, = otel.named("dspex.pipeline")
    assert pipeline.attributes["dspex.pipeline.steps"] == 2
    modules = otel.named("dspex.module predict")
    assert len(modules) == 2 and all(parent_of(m, spans) is pipeline for m in modules)
    assert all(parent_of(c, spans).name == "dspex.module predict" for c in otel.named("chat local"))


def test_worker_threads_of_dspex_map_nest_under_the_callers_span(otel, lm):
    ref = dspex.Predict.create("question -> answer", lm=lm)
    tracer = otel.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("batch"):
        dspex.map(ref, [{"question": f"q{i}"} for i in range(4)])
    spans = otel.spans()
    batch, = otel.named("batch")
    modules = otel.named("dspex.module predict")
    assert len(modules) == 4 and all(parent_of(m, spans) is batch for m in modules)
    chats = otel.named("chat local")
    assert sorted(parent_of(c, spans).context.span_id for c in chats) == sorted(m.context.span_id for m in modules)


def test_concurrent_async_calls_each_nest_their_own_request(otel, lm):
    ref = dspex.Predict.create("question -> answer", lm=lm)

    async def main():
        return await asyncio.gather(*(ref.acall(question="q" + " word" * 40 * i) for i in range(3)))

    preds = asyncio.run(main())
    spans = otel.spans()
    modules = otel.named("dspex.module predict")
    chats = otel.named("chat local")
    assert len(modules) == len(chats) == 3
    assert sorted(parent_of(c, spans).context.span_id for c in chats) == sorted(m.context.span_id for m in modules)
    assert all(m.parent is None for m in modules)
    # each request's span has its own usage, not a concurrent one's
    prompts = sorted(p.get_lm_usage()["openai/local"]["prompt_tokens"] for p in preds)
    assert len(set(prompts)) == 3 and sorted(c.attributes["gen_ai.usage.input_tokens"] for c in chats) == prompts


def test_react_is_an_agent_span_with_tool_spans(otel, lm, replies):
    def add(a: int, b: int = 2) -> int:
        """Add two integers."""
        return a + b

    def chat(**fields):
        return "\n\n".join(f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else json.dumps(v)}"
                           for k, v in fields.items()) + "\n\n[[ ## completed ## ]]"

    replies.queue[:] = [chat(next_thought="Add.", next_tool_name="add", next_tool_args={"a": 40}),
                        chat(next_thought="Done.", next_tool_name="finish", next_tool_args={}),
                        chat(reasoning="40 + 2", answer="42")]
    pred = dspex.ReAct.create("question -> answer", tools=[add], lm=lm, max_iters=3)(question="40 + 2?")
    assert pred.answer == "42"
    spans = otel.spans()
    agent, = otel.named("invoke_agent react")
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent" and agent.attributes["gen_ai.agent.name"] == "react"
    tools = [s for s in spans if s.name.startswith("execute_tool ")]
    assert [t.name for t in tools] == ["execute_tool add", "execute_tool finish"]
    assert tools[0].attributes["gen_ai.tool.name"] == "add" and "gen_ai.tool.call.arguments" not in tools[0].attributes
    assert all(parent_of(t, spans) is agent for t in tools)
    assert len(otel.named("chat local")) == 3


def test_no_span_or_metric_holds_the_api_key(otel, lm, replies):
    replies.default = COT_REPLY
    dspex_otel.configure(tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider,
                         capture_content=True)
    keyed = lm.copy(headers={"X-Api-Key": PLANTED_KEY})
    dspex.ChainOfThought.create("question -> answer", lm=keyed, config={"temperature": 0.1})(question="q")
    text = otel.everything()
    assert "gen_ai.input.messages" in text and "gen_ai.usage.input_tokens" in text
    assert PLANTED_KEY not in text


def test_an_evaluation_is_a_span_over_its_examples_calls(otel, lm):
    program = dspex.Predict.create("question -> answer", lm=lm)
    devset = [dspex.Example(question=f"q{i}", answer="Paris").with_inputs("question") for i in range(3)]
    result = dspex.Evaluate.create(devset=devset, metric=lambda example, pred, trace=None: pred.answer == example.answer,
                                   num_threads=2)(program=program)
    spans = otel.spans()
    evaluation, = otel.named("dspex.evaluate")
    assert evaluation.attributes["dspex.evaluate.examples"] == 3
    assert evaluation.attributes["dspex.evaluate.score"] == result.score == 100.0
    modules = otel.named("dspex.module predict")
    assert len(modules) == 3 and all(parent_of(m, spans) is evaluation for m in modules)


def test_a_request_whose_start_failed_half_way_still_ends_its_span(otel, lm, monkeypatch):
    from opentelemetry import trace

    from dspex_otel import _callback

    def broken():
        raise RuntimeError("usage record unavailable")

    monkeypatch.setattr(_callback, "open_record", broken)
    before = trace.get_current_span()
    assert dspex.Predict.create("question -> answer", lm=lm)(question="q").answer == "Paris"
    assert [s.name for s in otel.spans()] == ["chat local", "dspex.module predict"]
    assert trace.get_current_span() is before  # every context attached was detached
