"""The GenAI client metrics and the opt-in message content."""

from __future__ import annotations

import json

import dspex_core as dspex
import dspex_otel
from dspex_otel._content import CAPTURE_ENV
from dspex_otel._providers import split_model


def test_token_usage_and_duration_histograms(otel, lm, server):
    pred = dspex.Predict.create("question -> answer", lm=lm)(question="q")
    usage = pred.get_lm_usage()["openai/local"]
    tokens = otel.points("gen_ai.client.token.usage")
    assert {m.unit for m, _ in tokens} == {"{token}"}
    by_type = {p.attributes["gen_ai.token.type"]: p for _, p in tokens}
    assert by_type["input"].sum == usage["prompt_tokens"] and by_type["output"].sum == usage["completion_tokens"]
    common = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "local",
              "server.address": "127.0.0.1", "server.port": server.port}
    assert {k: v for k, v in by_type["input"].attributes.items() if k != "gen_ai.token.type"} == common
    (metric, point), = otel.points("gen_ai.client.operation.duration")
    assert metric.unit == "s" and point.count == 1 and dict(point.attributes) == common
    assert list(point.explicit_bounds)[:3] == [0.01, 0.02, 0.04]



def test_measurements_are_made_in_the_request_spans_context(otel, lm):
    """The SDK keeps exemplars (by default, for measurements made in a sampled trace): each
    histogram's points to the request's span, not to the module call around it."""
    dspex.Predict.create("question -> answer", lm=lm)(question="q")
    chat, = otel.named("chat local")
    data = otel.reader.get_metrics_data()  # read once: a collection hands each exemplar over once
    points = [p for r in data.resource_metrics for s in r.scope_metrics for m in s.metrics for p in m.data.data_points
              if m.name in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage")]
    assert len(points) == 3
    for point in points:
        assert [(e.trace_id, e.span_id) for e in point.exemplars] == [(chat.context.trace_id, chat.context.span_id)]


def test_a_requests_settings_stay_its_own(otel, lm):
    """The attribute sets made once per model are shared by its requests: one request's settings
    and response never reach another's span, nor any metric's attributes."""
    dspex.Predict.create("question -> answer", lm=lm, config={"temperature": 0.3})(question="q")
    dspex.Predict.create("question -> answer", lm=lm)(question="q")
    first, second = otel.named("chat local")
    assert first.attributes["gen_ai.request.temperature"] == 0.3
    assert "gen_ai.request.temperature" not in second.attributes
    assert dict(first.attributes).keys() - {"gen_ai.request.temperature"} == dict(second.attributes).keys()
    (_, duration), = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 2 and not any(k.startswith("gen_ai.usage.") or k == "gen_ai.request.temperature"
                                           for k in duration.attributes)
    assert {p.attributes["gen_ai.token.type"] for _, p in otel.points("gen_ai.client.token.usage")} == {"input", "output"}

def test_content_is_off_by_default(otel, lm):
    dspex.Predict.create("question -> answer", lm=lm)(question="Capital of France?")
    chat, = otel.named("chat local")
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system")) for k in chat.attributes)
    assert "Capital of France" not in otel.everything()


def test_content_when_opted_in_by_the_standard_variable(otel, lm, monkeypatch):
    monkeypatch.setenv(CAPTURE_ENV, "true")
    dspex_otel.configure(tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider)
    dspex.Predict.create("question -> answer", lm=lm)(question="Capital of France?")
    chat, = otel.named("chat local")
    system = json.loads(chat.attributes["gen_ai.system_instructions"])
    assert system[0]["type"] == "text" and "`question`" in system[0]["content"]
    messages = json.loads(chat.attributes["gen_ai.input.messages"])
    assert [m["role"] for m in messages] == ["user"] and "Capital of France?" in messages[0]["parts"][0]["content"]
    output = json.loads(chat.attributes["gen_ai.output.messages"])
    assert output == [{"role": "assistant", "parts": [{"type": "text", "content": "[[ ## answer ## ]]\nParis\n\n"
                                                                                 "[[ ## completed ## ]]"}]}]


def test_the_plugin_setting_wins_over_the_variable(otel, lm, monkeypatch):
    monkeypatch.setenv(CAPTURE_ENV, "true")
    dspex_otel.configure(tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider,
                         capture_content=False)
    dspex.Predict.create("question -> answer", lm=lm)(question="q")
    assert "gen_ai.input.messages" not in otel.named("chat local")[0].attributes


def test_provider_prefixes_map_to_the_well_known_names():
    assert split_model("openai/gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert split_model("gpt-4o") == ("openai", "gpt-4o")
    assert split_model("anthropic/claude-sonnet-4-5") == ("anthropic", "claude-sonnet-4-5")
    assert split_model("gemini/gemini-2.5-flash") == ("gcp.gemini", "gemini-2.5-flash")
    assert split_model("azure/my-deployment") == ("azure.ai.openai", "my-deployment")
    assert split_model("ollama_chat/llama3") == ("ollama", "llama3")
    assert split_model("openrouter/anthropic/claude") == ("openrouter", "anthropic/claude")


def test_disabling_the_plugin_stops_the_spans(otel, lm, monkeypatch):
    from dspex_core import callbacks, registry

    monkeypatch.setenv("DSPEX_DISABLE_PLUGINS", "otel")
    registry.refresh()
    assert callbacks._from_plugins == ()
    dspex.Predict.create("question -> answer", lm=lm)(question="q")
    assert otel.spans() == []
    monkeypatch.delenv("DSPEX_DISABLE_PLUGINS")
    registry.refresh()
