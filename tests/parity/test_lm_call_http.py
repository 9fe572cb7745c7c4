"""Parity over real HTTP for the ``lm`` module type: native's direct LM call against plain
``dspy.LM(model)(prompt)`` / ``dspy.LM(model)(messages=[...], **settings)``, on one local
OpenAI-compatible server.

Hypothesis draws the messages (or a prompt), the model, the LM's ``engine`` (dspy's default, or
``"litellm"``), the LM's settings and the call's, sync or async, and the completions the server
gives (text, or a message with function calls). Per call: the same requests (whole bodies, as
many), the same outputs (strings, or dspy's ``{"text", "tool_calls"}`` dicts), and the same
history entry's messages, outputs and model.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core._history import clear_history
from dspex_native.modules.lm import implementation as lm_call

from test_predict_http import KEY, Script
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")

MODELS = ("openai/gpt-4o-mini", "openai/local-model", "gpt-4.1-2025-04-14", "hosted_vllm/llama-3.1-8b")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
MESSAGE = st.builds(lambda role, content: {"role": role, "content": content},
                    st.sampled_from(["system", "user", "assistant"]), TEXT)
SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.3, 1.0]),
    "max_tokens": st.sampled_from([16, 1000]),
    "n": st.integers(1, 3),
    "stop": st.sampled_from([["\n"], ["END", "STOP"]]),
    "top_p": st.sampled_from([0.5, 1.0]),
})
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}}
REPLY = st.one_of(TEXT.filter(bool), st.just({"content": None, "tool_calls": [CALL]}),
                  st.just({"content": "let me look", "tool_calls": [CALL]}))


@pytest.fixture(scope="module")
def served():
    script = Script()
    with LocalLMServer(script) as server:
        yield server, script


@st.composite
def lm_cases(draw) -> dict[str, Any]:
    lm_settings = draw(st.fixed_dictionaries({}, optional={"temperature": st.sampled_from([0.0, 0.7]),
                                                            "max_tokens": st.sampled_from([64, 2000])}))
    engine = draw(st.sampled_from([None, "litellm"]))
    if engine is not None:
        lm_settings["engine"] = engine
    call = draw(SETTINGS)
    # n completions either way: dspy's own engine asks for them in n requests, LiteLLM's in one
    completions = draw(st.lists(REPLY, min_size=call.get("n", 1), max_size=call.get("n", 1)))
    if draw(st.booleans()):
        given = {"prompt": draw(TEXT)}
    else:
        given = {"messages": draw(st.lists(MESSAGE, min_size=1, max_size=3))}
    return dict(model=draw(st.sampled_from(MODELS)), lm_settings=lm_settings, call=call, given=given,
                completions=completions, is_async=draw(st.booleans()))


def run_native(server, case) -> tuple[list, dict]:
    lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    state = lm_call.create(lm=lm)
    options = {"config": dict(case["call"])} if case["call"] else {}
    clear_history()
    if case["is_async"]:
        outputs = asyncio.run(lm_call.aexecute(state, dict(case["given"]), **options)).outputs
    else:
        outputs = lm_call.execute(state, dict(case["given"]), **options).outputs
    (entry,) = dspex.history()
    return outputs, entry


def run_dspy(server, case) -> tuple[list, dict]:
    lm = dspy.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    given = case["given"]
    args = (given["prompt"],) if "prompt" in given else ()
    kwargs = {"messages": given["messages"]} if "messages" in given else {}
    if case["is_async"]:
        outputs = asyncio.run(lm.acall(*args, **kwargs, **case["call"]))
    else:
        outputs = lm(*args, **kwargs, **case["call"])
    (entry,) = lm.history
    messages = entry["messages"] or [{"role": "user", "content": entry["prompt"]}]
    return outputs, {**entry, "messages": messages}


def recorded(served, case, run) -> tuple[list, list, dict]:
    server, script = served
    server.reset()
    script.load(case["completions"])
    outputs, entry = run(server, case)
    assert not script.exhausted
    return outputs, [r["body"] for r in server.chat_requests], entry


def _plain(value: Any) -> Any:
    """``value`` with LiteLLM's pydantic objects (the tool calls on its route) as the dicts they dump to."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@settings(max_examples=20, deadline=None)
@given(lm_cases())
def test_a_direct_lm_call_sends_and_returns_what_dspy_lm_does(served, case):
    (mine, my_bodies, my_entry), (theirs, their_bodies, their_entry) = (
        recorded(served, case, run_native), recorded(served, case, run_dspy))
    assert my_bodies == their_bodies  # every request, whole bodies, in order
    theirs = _plain(theirs)  # LiteLLM's route hands back its tool-call objects; native, their dicts
    assert mine == theirs and [type(o) for o in mine] == [type(o) for o in theirs]
    for key in ("messages", "outputs", "model"):
        assert my_entry[key] == _plain(their_entry[key]), key


def test_a_prompt_is_one_user_message_and_usage_is_recorded(served):
    case = dict(model="openai/gpt-4o-mini", lm_settings={"temperature": 0.3}, call={"max_tokens": 20},
                given={"prompt": "Say hi"}, completions=["hi"], is_async=False)
    outputs, bodies, _ = recorded(served, case, run_native)
    assert outputs == ["hi"]
    assert bodies[0]["messages"] == [{"role": "user", "content": "Say hi"}]
    server, script = served
    script.load(["hello"])
    lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    with dspex.track_usage() as usage:
        pred = dspex.create("lm", lm=lm, implementation="native")(messages=[{"role": "user", "content": "x"}])
    assert pred.outputs == ["hello"]
    totals = usage.get_total_tokens()["openai/gpt-4o-mini"]
    assert totals["total_tokens"] > 0 and pred.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] > 0
