"""DSPy's native function calling on LiteLLM's route (``engine="litellm"``, and the models dspy sends
there by default), and a call's own ``tools`` / ``tool_choice`` / ``parallel_tool_calls`` on both
routes, against dspy 3.4 over HTTP.

Hypothesis draws the tools, the calls the local server answers with, and the call's tool settings
(``tool_choice`` in each form, ``parallel_tool_calls``); the request bodies are compared whole (and
counted) and the predictions equal, for a model of each OpenAI-compatible provider native speaks
through LiteLLM."""

from __future__ import annotations

import json
import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing.server import LocalLMServer
from dspex_native.modules.predict import implementation as predict
from dspex_native.tools import Tool

warnings.filterwarnings("ignore", module="dspy")
warnings.filterwarnings("ignore", message="Pydantic serializer warnings")

NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
ARG_SCHEMAS = st.dictionaries(NAMES, st.sampled_from([{"type": "string"}, {"type": "integer"},
                                                      {"type": "boolean", "default": False}]), max_size=3)
#: (model, engine): a model of each provider that can call functions, on LiteLLM's route
LITELLM_MODELS = [("openai/gpt-4o-mini", "litellm"), ("together_ai/Qwen/Qwen2.5-7B-Instruct-Turbo", "auto"),
                  ("deepseek/deepseek-chat", "litellm"), ("xai/grok-4.20", "litellm")]


def _noop(**kwargs):
    """A tool."""


@st.composite
def tools_and_calls(draw):
    specs = draw(st.lists(st.tuples(NAMES, ARG_SCHEMAS, st.text("abc .", max_size=10)), min_size=1, max_size=2,
                          unique_by=lambda t: t[0]))
    calls = []
    for i in range(draw(st.integers(0, 2))):
        name, schema, _ = draw(st.sampled_from(specs))
        args = {k: draw(st.integers(-9, 9)) for k in schema}
        calls.append({"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}})
    return specs, calls


@st.composite
def tool_settings(draw, first_tool: str):
    config = {}
    choice = draw(st.sampled_from([None, "auto", "required", "none", {"type": "function",
                                                                      "function": {"name": first_tool}}]))
    if choice is not None:
        config["tool_choice"] = choice
    parallel = draw(st.sampled_from([None, True, False]))
    if parallel is not None:
        config["parallel_tool_calls"] = parallel
    return config


@pytest.fixture(scope="module")
def server():
    replies = []
    with LocalLMServer(lambda messages, settings: [replies.pop(0)]) as srv:
        srv.replies = replies
        yield srv


def _sig() -> Signature:
    inputs = {"question": Field("question", "input", str, None),
              "tools": Field("tools", "input", list[dspy.Tool], "the tools at hand")}
    outputs = {"calls": Field("calls", "output", dspy.ToolCalls, "the calls to make"),
               "answer": Field("answer", "output", str, None)}
    return Signature._make(inputs, outputs, "Pick the tools to call.")


def _run(server, replies, fn):
    server.reset()
    server.replies[:] = list(replies)
    try:
        outcome = ("ok", dict(fn()))
    except Exception as exc:  # noqa: BLE001 - the two sides must fail alike
        outcome = ("error", type(exc).__name__)
    return outcome, [r["body"] for r in server.chat_requests]


def _settings(bodies: list[dict]) -> list[dict]:
    return [{k: v for k, v in body.items() if k != "messages"} for body in bodies]


def _both(server, sig, model, engine, native_inputs, dspy_inputs, config, replies, adapter="json"):
    lm = dspex.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)
    state = predict.create(sig, adapter=adapter)

    def reference():
        ref_lm = dspy.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)
        chosen = {"json": dspy.JSONAdapter, "chat": dspy.ChatAdapter}[adapter]()
        with dspy.context(lm=ref_lm, adapter=chosen):
            return dspy.Predict(to_dspy_signature(sig))(**dspy_inputs, config=dict(config))

    got = _run(server, replies, lambda: predict.execute(state, native_inputs, lm=lm, config=dict(config)))
    expected = _run(server, replies, reference)
    return got, expected


@pytest.mark.parametrize("model, engine", LITELLM_MODELS)
@settings(max_examples=6, deadline=None)
@given(data=st.data(), drawn=tools_and_calls(), text=st.sampled_from([None, '{"answer": "done"}']))
def test_litellm_route_sends_and_reads_tools_as_dspy(server, model, engine, data, drawn, text):
    specs, calls = drawn
    config = data.draw(tool_settings(specs[0][0]))
    replies = [{"content": text, "tool_calls": calls} if calls else {"content": text or '{"answer": "x"}'}]
    native_tools = [Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    dspy_tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    got, expected = _both(server, _sig(), model, engine, {"question": "Q?", "tools": native_tools},
                          {"question": "Q?", "tools": dspy_tools}, config, replies)
    assert _settings(got[1]) == _settings(expected[1])  # (the readable part first)
    assert got[1] == expected[1]
    assert got[0] == expected[0]
    if got[0][0] == "ok":
        assert len(got[1]) == 1 and "tools" in got[1][0]


USER_TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "Look it up.",
                                                 "parameters": {"type": "object", "properties": {
                                                     "q": {"type": "string"}}, "required": ["q"]}}}]


@pytest.mark.parametrize("engine", ["auto", "litellm"])
@pytest.mark.parametrize("adapter", ["json", "chat"])
@settings(max_examples=8, deadline=None)
@given(config=tool_settings("lookup"), with_tools=st.sampled_from([None, [], USER_TOOLS]))
def test_a_calls_own_tool_settings_go_as_dspy_sends_them(server, engine, adapter, config, with_tools):
    """Without a ToolCalls output the JSONAdapter sends a call's tools and tool choice as given (dspy's own
    engine writes them as lm15 does, LiteLLM as its OpenAI config does); the ChatAdapter drops them."""
    if with_tools is not None:
        config = {**config, "tools": with_tools}
    sig = Signature._make({"question": Field("question", "input", str, None)},
                          {"answer": Field("answer", "output", str, None)}, "Answer.")
    reply = '{"answer": "done"}' if adapter == "json" else "[[ ## answer ## ]]\ndone\n\n[[ ## completed ## ]]"
    got, expected = _both(server, sig, "openai/gpt-4o-mini", engine, {"question": "Q?"}, {"question": "Q?"}, config,
                          [reply], adapter=adapter)
    assert got == expected


@pytest.mark.parametrize("tool_choice", [
    {"type": "function", "function": {"name": "nope"}},  # not among the tools: lm15 refuses, LiteLLM sends it
    {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
        {"type": "function", "function": {"name": "lookup"}}]}},  # one allowed tool, required: the function form
    {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [
        {"type": "function", "function": {"name": "lookup"}}]}},
    "bogus",
])
def test_tool_choices_lm15_rewrites_or_refuses_go_as_in_dspy(server, tool_choice):
    sig = Signature._make({"question": Field("question", "input", str, None)},
                          {"answer": Field("answer", "output", str, None)}, "Answer.")
    config = {"tools": USER_TOOLS, "tool_choice": tool_choice}
    got, expected = _both(server, sig, "openai/gpt-4o-mini", "auto", {"question": "Q?"}, {"question": "Q?"}, config,
                          ['{"answer": "done"}'])
    assert got == expected


def test_a_model_litellm_cannot_call_functions_with_reads_the_calls_from_the_text(server):
    """LiteLLM's map does not know ``openai/local``: dspy drops the tools and asks for the calls as JSON."""
    reply = json.dumps({"calls": {"tool_calls": [{"name": "_noop", "args": {}}]}, "answer": "a"})
    got, expected = _both(server, _sig(), "openai/local", "litellm", {"question": "Q?", "tools": [Tool(_noop)]},
                          {"question": "Q?", "tools": [dspy.Tool(_noop)]}, {"tool_choice": "auto"}, [reply])
    assert got[1] == expected[1] and "tools" not in got[1][0]
    assert got[0] == expected[0] and got[0][0] == "ok"
