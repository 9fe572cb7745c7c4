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
