"""predict and chain_of_thought over real HTTP: dspex.LM -> dspy.LM -> the local OpenAI-compatible server."""

from __future__ import annotations

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer


def http_lm(server, **settings):
    return dspex.LM("openai/test-model", api_base=server.url, api_key="sk-test", cache=False, **settings)


def test_predict_over_http_sends_chat_messages_and_parses_the_reply():
    script = RecordingLM([chat(answer="Paris")])
    with LocalLMServer(script) as server:
        ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=http_lm(server))
        pred = ref(question="Capital of France?")
        requests = server.chat_requests
    assert pred.answer == "Paris"
    assert len(requests) == 1
    body = requests[0]["body"]
    assert body["model"] == "test-model"
    assert body["messages"][-1]["content"].endswith("[[ ## completed ## ]].") or "Capital of France?" in \
        body["messages"][-1]["content"]
    assert requests[0]["auth"] is True and "sk-test" not in repr(requests[0]["headers"])
    assert script.calls[0].messages == body["messages"]


def test_chain_of_thought_over_http_with_settings_from_the_lm():
    script = RecordingLM([chat(reasoning="It is known.", answer="4")])
    with LocalLMServer(script) as server:
        dspex.configure(lm=http_lm(server, temperature=0.2, max_tokens=64))
        ref = dspy_ref("chain_of_thought", "question -> answer: int")
        pred = ref(question="2+2?")
        body = server.chat_requests[0]["body"]
    assert pred.reasoning == "It is known." and pred.answer == 4
    # dspy's OpenAI engine sends max_tokens as max_completion_tokens
    assert body["temperature"] == 0.2 and body.get("max_tokens", body.get("max_completion_tokens")) == 64


def test_http_and_custom_lm_send_the_same_messages():
    script = RecordingLM([chat(answer="x")])
    custom = RecordingLM([chat(answer="x")])
    with LocalLMServer(script) as server:
        dspy_ref("predict", "question -> answer", lm=http_lm(server))(question="q")
        http_messages = server.chat_requests[0]["body"]["messages"]
    dspy_ref("predict", "question -> answer", lm=custom)(question="q")
    assert custom.calls[0].messages == http_messages


def test_server_errors_become_lm_errors_that_name_the_model_not_the_key():
    with LocalLMServer(RecordingLM(chat(answer="x"))) as server:
        server.inject(status=400, times=5)
        ref = dspy_ref("predict", "question -> answer", lm=http_lm(server, num_retries=0))
        with pytest.raises(dspex.LMError) as info:
            ref(question="q")
    assert "sk-test" not in str(info.value)
    assert info.value.status == 400


def test_react_and_retry_over_http():
    def lookup(city: str) -> str:
        """Look up the weather."""
        return f"rain in {city}"

    script = RecordingLM([
        chat(next_thought="look", next_tool_name="lookup", next_tool_args={"city": "Oslo"}),
        chat(next_thought="done", next_tool_name="finish", next_tool_args={}),
        chat(reasoning="it rains", answer="rain"),
        chat(answer="ok"),
    ])
    with LocalLMServer(script) as server:
        dspex.configure(lm=http_lm(server))
        react = dspex.ReAct.create("question -> answer", tools=[lookup], implementation="dspy")
        assert react(question="Weather in Oslo?").answer == "rain"
        inner = dspy_ref("predict", "question -> answer")
        retry = dspex.Retry.create(inner, N=2, reward_fn=lambda a, p: 1.0, threshold=1.0, implementation="dspy")
        assert retry(question="q").answer == "ok"
        bodies = [r["body"] for r in server.chat_requests]
    assert len(bodies) == 4
    assert "rain in Oslo" in bodies[1]["messages"][-1]["content"]
    assert bodies[3]["temperature"] == 1.0  # Refine semantics on the wire
