"""The native ``lm`` module type: a direct LM call (``dspy.LM.__call__``) through native's client.

Parity with plain ``dspy.LM`` on whole HTTP bodies is tests/parity/test_lm_call_http.py; here:
what a call takes and refuses, what it returns, and that it goes through the client as every
native call does (settings merged, usage and history recorded, the cache, render, async).
"""

from __future__ import annotations

import asyncio

import pytest

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError
from dspex_core.testing.server import LocalLMServer
from dspex_native.lm.engine import _messages_refused
from dspex_native.lm.client import dspy_outputs


class Echo:
    """A custom LM answering with what it was asked."""

    model = "echo"

    def __init__(self):
        self.calls = []

    def __call__(self, messages, **settings):
        self.calls.append((messages, settings))
        return [f"{messages[-1]['content']}!"] * settings.get("n", 1)

    async def acall(self, messages, **settings):
        return self(messages, **settings)


def _lm(**settings):
    return dspex.create("lm", implementation="native", **settings)


def test_a_prompt_is_one_user_message_and_settings_merge_create_then_call():
    echo = Echo()
    ref = _lm(lm=echo, config={"temperature": 0.5, "max_tokens": 9})
    assert ref(prompt="hi").outputs == ["hi!"]
    assert ref(messages=[{"role": "user", "content": "yo"}], config={"max_tokens": 5, "n": 2}).outputs == ["yo!", "yo!"]
    assert echo.calls == [([{"role": "user", "content": "hi"}], {"temperature": 0.5, "max_tokens": 9}),
                          ([{"role": "user", "content": "yo"}], {"temperature": 0.5, "max_tokens": 5, "n": 2})]
    assert asyncio.run(ref.acall(prompt="a")).outputs == ["a!"]


def test_the_lm_is_the_calls_then_the_modules_then_the_configured_one():
    mine, other, configured = Echo(), Echo(), Echo()
    with dspex.context(lm=configured):
        _lm()(prompt="c")
        _lm(lm=mine)(prompt="m")
        _lm(lm=mine)(prompt="o", lm=other)
    assert [len(x.calls) for x in (mine, other, configured)] == [1, 1, 1]
    with pytest.raises(InputError, match="no LM for this lm call"):
        _lm()(prompt="x")


@pytest.mark.parametrize("inputs, words", [
    ({}, "a call needs messages"),
    ({"prompt": 3}, "prompt must be a string"),
    ({"prompt": "a", "messages": [{"role": "user", "content": "b"}]}, "not both"),
    ({"messages": []}, "non-empty list"),
    ({"messages": "hi"}, "non-empty list"),
    ({"messages": [{"content": "no role"}]}, r"messages\[0\] must be a dict with a 'role'"),
    ({"prompt": "a", "temperature": 0.2}, r"unknown input\(s\) \['temperature'\].*config="),
])
def test_bad_inputs_are_input_errors_naming_the_mistake(inputs, words):
    echo = Echo()
    with pytest.raises(InputError, match=words):
        _lm(lm=echo)(**inputs)
    assert echo.calls == []


def test_bad_options_and_specs_are_refused_at_create_and_call():
    with pytest.raises(InputError, match=r"unknown option\(s\) \['adapter'\]"):
        _lm(lm=Echo(), adapter="chat")
    with pytest.raises(InputError, match="lm takes no spec"):
        dspex.create("lm", "q -> a", implementation="native")
    with pytest.raises(InputError, match="temperature must be a number"):
        _lm(lm=Echo())(prompt="x", config={"temperature": "hot"})
    with pytest.raises(InputError, match="lm must be dspex.LM"):
        _lm(lm="openai/gpt-4o-mini")


def test_it_has_no_state_and_describes_itself():
    ref = _lm(lm=Echo(), config={"temperature": 0.1})
    assert ref.describe()["lm"] == "echo" and ref.describe()["config"] == {"temperature": 0.1}
    from dspex_native.modules.lm import implementation

    for call in (lambda: ref.save("unused.json"), lambda: implementation.dump_state(None)):
        with pytest.raises(CapabilityError, match="no learned state"):
            call()


def test_outputs_are_dspys_a_dict_for_each_when_one_is_not_text():
    call = {"text": None, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    assert dspy_outputs(["a", "b"]) == ["a", "b"]
    assert dspy_outputs(["a", call]) == [{"text": "a"}, call]


def test_over_http_usage_history_cache_and_render():
    with LocalLMServer("hello") as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", num_retries=0, temperature=0.2)
        ref = _lm(lm=lm)
        assert ref.render(prompt="Say hi")["messages"] == [{"role": "user", "content": "Say hi"}]
        with dspex.track_usage() as usage:
            first = ref(prompt="Say hi", config={"max_tokens": 7})
            again = ref(prompt="Say hi", config={"max_tokens": 7})  # the cache answers
        assert first.outputs == again.outputs == ["hello"] and len(server.chat_requests) == 1
        assert server.chat_requests[0]["body"] == {"model": "gpt-4o-mini", "messages": [
            {"role": "user", "content": "Say hi"}], "temperature": 0.2, "max_completion_tokens": 7}
        assert usage.get_total_tokens()["openai/gpt-4o-mini"]["total_tokens"] > 0
        (entry,) = dspex.history(1)
        assert entry["outputs"] == ["hello"] and entry["messages"] == [{"role": "user", "content": "Say hi"}]


def test_messages_lm15_cannot_read_go_litellms_way_as_in_dspy():
    assert _messages_refused([{"role": "system", "content": ""}, {"role": "user", "content": "u"}])
    assert _messages_refused([{"role": "system", "content": "s"}])
    assert _messages_refused([{"role": "user", "content": "u", "name": "ann"}])
    assert _messages_refused([{"role": "user", "content": "u"}, {"role": "system", "content": ""}]) is None
    with LocalLMServer("ok") as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", cache=False, num_retries=0)
        _lm(lm=lm)(messages=[{"role": "system", "content": "only"}], config={"max_tokens": 5, "n": 2})
        # LiteLLM's request: one, with n, the limit as max_tokens
        assert [r["body"] for r in server.chat_requests] == [{"model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": "only"}], "max_tokens": 5, "n": 2}]


TOKENS = {"content": [
    {"token": "ok", "logprob": -0.5, "bytes": [111, 107], "top_logprobs": [
        {"token": "ok", "logprob": -0.5, "bytes": [111, 107]}, {"token": "no", "logprob": -2, "bytes": None},
        {"token": "bad entry"}]},
    {"token": "!", "logprob": -1, "top_logprobs": []},
    {"logprob": -3}], "refusal": None}
#: as dspy's own engine hands them on: malformed entries left out, bytes None where absent, floats
READ = {"content": [
    {"token": "ok", "logprob": -0.5, "bytes": [111, 107], "top_logprobs": [
        {"token": "ok", "logprob": -0.5, "bytes": [111, 107]}, {"token": "no", "logprob": -2.0, "bytes": None}]},
    {"token": "!", "logprob": -1.0, "bytes": None, "top_logprobs": []}]}


def test_logprobs_come_with_each_completion_as_dspys_own_engine_hands_them_on():
    with LocalLMServer(lambda messages, settings: [{"content": "ok!", "logprobs": TOKENS}]) as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", num_retries=0, logprobs=True)
        outputs = _lm(lm=lm)(prompt="x", config={"top_logprobs": 2, "n": 2}).outputs
        assert [r["body"]["logprobs"] for r in server.chat_requests] == [True, True]  # one request per completion
        assert server.chat_requests[0]["body"]["top_logprobs"] == 2
        assert outputs == [{"text": "ok!", "logprobs": READ}] * 2
        assert outputs[0]["logprobs"].content[0].top_logprobs[1].token == "no"  # attributes, as dspy's
        assert outputs[0]["logprobs"].model_dump() == READ and type(outputs[0]["logprobs"].model_dump()) is dict
        cached = _lm(lm=lm)(prompt="x", config={"top_logprobs": 2, "n": 2}).outputs
        assert len(server.chat_requests) == 2 and cached == outputs and cached[0]["logprobs"].content[1].token == "!"
        plain = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", cache=False)
        assert _lm(lm=plain)(prompt="x").outputs == ["ok!"]  # not asked for: the text only


def test_a_reply_without_logprobs_has_an_empty_list_and_a_predictor_carries_them():
    replies = iter(["[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]",
                    {"content": "[[ ## answer ## ]]\n43\n\n[[ ## completed ## ]]", "logprobs": TOKENS}])
    with LocalLMServer(lambda messages, settings: [next(replies)]) as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", cache=False, logprobs=True)
        assert _lm(lm=lm)(prompt="x").outputs == [{"text": "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]",
                                                 "logprobs": {"content": []}}]
        pred = dspex.Predict.create("question -> answer: int", implementation="native")(question="q", lm=lm)
        assert dict(pred) == {"answer": 43, "logprobs": READ}
        assert pred.logprobs.content[0].logprob == -0.5


def test_logprobs_on_litellms_route_are_not_built_and_a_stream_collects_its_events_logprobs():
    with LocalLMServer("ok") as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", logprobs=True, engine="litellm")
        with pytest.raises(CapabilityError, match="logprobs on LiteLLM's route"):
            _lm(lm=lm)(prompt="x")
        with pytest.raises(CapabilityError, match="logprobs on LiteLLM's route"):
            list(dspex.Predict.create("q -> a", implementation="native").stream(q="x", lm=lm))
        assert server.chat_requests == []
    reply = {"content": "[[ ## a ## ]]\n43\n\n[[ ## completed ## ]]", "logprobs": TOKENS}
    with LocalLMServer(lambda messages, settings: [reply], stream_chunk_size=9) as server:
        own = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", logprobs=True, cache=False)
        *chunks, pred = list(dspex.Predict.create("q -> a: int", implementation="native").stream(q="x", lm=own))
        assert server.chat_requests[0]["body"]["logprobs"] is True and server.chat_requests[0]["body"]["stream"]
        assert "".join(c.text for c in chunks) == "43" and dict(pred) == {"a": 43, "logprobs": READ}
        assert pred.logprobs.content[0].logprob == -0.5
