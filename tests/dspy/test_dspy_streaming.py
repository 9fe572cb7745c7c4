"""The dspy backend streams through dspy.streamify: a listener per output field of every predictor."""

from __future__ import annotations

import asyncio

import pytest

import dspex_core as dspex
from dspex_core import LMError, Prediction, StreamChunk
from dspex_core.testing.server import LocalLMServer

REPLY = "[[ ## reasoning ## ]]\nthink a bit\n\n[[ ## answer ## ]]\nhello world\n\n[[ ## completed ## ]]"


@pytest.fixture
def server():
    with LocalLMServer(REPLY, stream_chunk_size=5) as server:
        yield server


def lm_for(server: LocalLMServer) -> dspex.LM:
    return dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-test", cache=False, num_retries=0)


def joined(items: list) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items[:-1]:
        assert isinstance(item, StreamChunk) and item.text
        out[item.field] = out.get(item.field, "") + item.text
    return out


def test_chain_of_thought_streams_reasoning_then_the_answer(server):
    cot = dspex.ChainOfThought.create("question -> answer", implementation="dspy", lm=lm_for(server))
    items = list(cot.stream(question="hi"))
    assert joined(items) == {"reasoning": "think a bit", "answer": "hello world"}
    assert {c.predict_name for c in items[:-1]} == {"predict"}
    final = items[-1]
    assert isinstance(final, Prediction) and dict(final) == {"reasoning": "think a bit", "answer": "hello world"}
    assert final.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] > 0
    assert server.chat_requests[0]["body"]["stream"] is True


def test_predict_astream(server):
    server.responder = "[[ ## answer ## ]]\nfine\n\n[[ ## completed ## ]]"
    predict = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm_for(server))

    async def collect():
        return [item async for item in predict.astream(question="q")]

    items = asyncio.run(collect())
    assert joined(items) == {"answer": "fine"} and items[-1].answer == "fine"


def test_react_streams_each_step(server):
    steps = iter(["[[ ## next_thought ## ]]\nlook\n\n[[ ## next_tool_name ## ]]\nfinish\n\n"
                  "[[ ## next_tool_args ## ]]\n{}\n\n[[ ## completed ## ]]",
                  "[[ ## reasoning ## ]]\ndone\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"])
    server.responder = lambda messages, **settings: next(steps)
    react = dspex.ReAct.create("question -> answer", tools=[], implementation="dspy", lm=lm_for(server))
    items = list(react.stream(question="q"))
    names = [(c.predict_name, c.field) for c in items[:-1]]
    assert sorted(set(names), key=names.index) == [
        ("react", "next_thought"), ("react", "next_tool_name"), ("react", "next_tool_args"),
        ("extract.predict", "reasoning"), ("extract.predict", "answer")]
    assert items[-1].answer == "42"


def test_an_lm_failure_is_dspexs_error(server):
    server.inject(status=400, message="bad request")
    predict = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm_for(server))
    with pytest.raises(LMError):
        list(predict.stream(question="q"))
