"""A reply's reasoning (DeepSeek's and vLLM's ``reasoning_content``, OpenRouter's ``reasoning``)
read as plain dspy reads it: native and ``dspy.LM`` on one local OpenAI-compatible server, on dspy's
own engine and on LiteLLM's route, unstreamed and streamed (``delta.reasoning_content`` pieces).

Both engines hand the completion on as ``{"text", "reasoning_content"}`` (``text`` ``None`` on
dspy's own engine when the reply has none, the content as it came on LiteLLM's route): a direct LM
call returns it, the history records it, a predictor parses the text (and fails on an empty one).
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest

import dspex_core as dspex
from dspex_core._history import clear_history
from dspex_core.testing.server import LocalLMServer
from dspex_native.lm import clear_clients

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-reasoning-0123456789"
MODEL = "openai/gpt-4o-mini"
ANSWER = "[[ ## answer ## ]]\nforty two\n\n[[ ## completed ## ]]"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server():
    with LocalLMServer("never used", stream_chunk_size=5) as served:
        yield served
    clear_clients()


def _lm(make, server, engine):
    return make(MODEL, api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                **({"engine": engine} if engine != "auto" else {}))


def _predicted(run):
    try:
        return dict(run())
    except (dspex.AdapterParseError, dspy.utils.exceptions.AdapterParseError):
        return "parse error"


def _dspy_side(server, engine, stream):
    lm = _lm(dspy.LM, server, engine)
    direct = None if stream else lm(messages=MESSAGES)

    def run():
        with dspy.context(lm=lm):
            if not stream:
                return dspy.Predict("question -> answer")(question="q")
            program = dspy.streamify(dspy.Predict("question -> answer"), async_streaming=False, stream_listeners=[
                dspy.streaming.StreamListener(signature_field_name="answer")])
            return list(program(question="q"))[-1]

    return direct, _predicted(run), lm.history[-1]["outputs"], [r["body"] for r in server.chat_requests]


def _native_side(server, engine, stream):
    lm = _lm(dspex.LM, server, engine)
    clear_history()
    direct = None if stream else dspex.create("lm", implementation="native", lm=lm)(messages=MESSAGES).outputs
    ref = dspex.create("predict", "question -> answer", implementation="native", lm=lm)
    predicted = _predicted(lambda: list(ref.stream(question="q"))[-1] if stream else ref(question="q"))
    return direct, predicted, dspex.history()[-1]["outputs"], [r["body"] for r in server.chat_requests]


#: (content, streamed): a streamed reply always carries a text field (the server's first event)
SHAPES = [(ANSWER, False), ("", False), (None, False), (ANSWER, True), ("", True)]


@pytest.mark.parametrize("engine", ["auto", "litellm"])
@pytest.mark.parametrize("content, stream", SHAPES)
@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_a_replys_reasoning_is_handed_on_as_dspy_hands_it_on(server, key, content, stream, engine):
    server.responder = lambda messages, **settings: {"content": content, key: "let me think"}
    server.reset()
    theirs = _dspy_side(server, engine, stream)
    server.reset()
    mine = _native_side(server, engine, stream)
    assert mine == theirs
    outputs = theirs[2]
    assert outputs[0]["reasoning_content"] == "let me think"
    assert theirs[1] == ({"answer": "forty two"} if content else "parse error")


@pytest.mark.parametrize("engine", ["auto", "litellm"])
def test_reasoning_beside_function_calls(server, engine):
    """A reply with reasoning, text and calls: ``{"text", "reasoning_content", "tool_calls"}``."""
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    server.responder = lambda messages, **settings: {"content": "ok", "reasoning_content": "hmm", "tool_calls": calls}
    server.reset()
    theirs = _lm(dspy.LM, server, engine)(messages=MESSAGES)
    server.reset()
    mine = dspex.create("lm", implementation="native", lm=_lm(dspex.LM, server, engine))(messages=MESSAGES).outputs
    plain = [dict(o, tool_calls=[c.model_dump() if hasattr(c, "model_dump") else dict(c) for c in o["tool_calls"]])
             for o in theirs]  # (LiteLLM's route hands on its own call objects)
    assert plain == mine
    assert mine[0]["reasoning_content"] == "hmm" and mine[0]["text"] == "ok"
