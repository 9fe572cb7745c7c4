"""DSPy's native function calling on Anthropic's and Gemini's own wires (dspy's own engine, lm15,
writing the Messages API and GenerateContent) against dspy 3.4 over HTTP, on the fake provider APIs.

Hypothesis draws the tools, the call's tool settings (``tool_choice`` in each form, a subset of the
tools among them, ``parallel_tool_calls``) and the reply's blocks or parts (calls with and without an
id, text, thinking); the requests (path, whole JSON bodies, count) are compared and the predictions
equal."""

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
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.modules.predict import implementation as predict
from dspex_native.tools import Tool

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-wire-tools-0123456789"
#: per wire, a model dspy's own engine serves there that can call functions
MODELS = {"anthropic": "anthropic/claude-sonnet-4-5", "gemini": "gemini/gemini-2.5-flash"}
NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
ARG_SCHEMAS = st.dictionaries(NAMES, st.sampled_from([{"type": "string"}, {"type": "integer"},
                                                      {"type": "boolean", "default": False}]), max_size=3)


def _noop(**kwargs):
    """A tool."""


def _anthropic_reply(blocks: list[dict]) -> dict:
    return {"id": "msg", "type": "message", "role": "assistant", "model": "m", "content": blocks,
            "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 3}}


def _gemini_reply(blocks: list[dict]) -> dict:
    parts = []
    for block in blocks:
        if block["type"] == "tool_use":
            call = {"name": block["name"], "args": block["input"]}
            if "id" in block:
                call["id"] = block["id"]
            parts.append({"functionCall": call})
        elif block["type"] == "text":
            parts.append({"text": block["text"]})
        else:
            parts.append({"text": block["thinking"], "thought": True})
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}}


REPLIES = {"anthropic": _anthropic_reply, "gemini": _gemini_reply}


@st.composite
def tools_and_reply(draw, shape: str):
    specs = draw(st.lists(st.tuples(NAMES, ARG_SCHEMAS, st.text("abc .", max_size=10)), min_size=1, max_size=3,
                          unique_by=lambda t: t[0]))
    blocks = []
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["tool_use", "tool_use", "text", "thinking"]))
        if kind == "tool_use":
            name, schema, _ = draw(st.sampled_from(specs))
            block = {"type": "tool_use", "name": name, "input": {k: draw(st.integers(-9, 9)) for k in schema}}
            if draw(st.booleans()):
                block["id"] = f"toolu_{i}"
            blocks.append(block)
        elif kind == "text":
            blocks.append({"type": "text", "text": draw(st.sampled_from(["", '{"answer": "done"}', "not json"]))})
        else:
            blocks.append({"type": "thinking", "thinking": "hm", "signature": "sig"})
    if not blocks:
        blocks = [{"type": "text", "text": '{"answer": "done"}'}]
    names = [n for n, _, _ in specs]
    config = {}
    choice = draw(st.sampled_from([None, "auto", "required", "none", "one", "subset"]))
    if choice == "one":
        config["tool_choice"] = {"type": "function", "function": {"name": draw(st.sampled_from(names))}}
    elif choice == "subset":
        allowed = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
        config["tool_choice"] = {"type": "allowed_tools", "allowed_tools": {
            "mode": draw(st.sampled_from(["auto", "required"])),
            "tools": [{"type": "function", "function": {"name": n}} for n in allowed]}}
    elif choice is not None:
        config["tool_choice"] = choice
    parallel = draw(st.sampled_from([None, True, False]))
    if parallel is not None and choice != "none":  # (lm15 refuses the pair: LiteLLM's route, a CapabilityError)
        config["parallel_tool_calls"] = parallel
    return specs, config, REPLIES[shape](blocks)


@pytest.fixture(scope="module")
def servers():
    with ProviderServer("anthropic") as anthropic, ProviderServer("gemini") as gemini:
        yield {"anthropic": anthropic, "gemini": gemini}


def _sig() -> Signature:
    inputs = {"question": Field("question", "input", str, None),
              "tools": Field("tools", "input", list[dspy.Tool], "the tools at hand")}
    outputs = {"calls": Field("calls", "output", dspy.ToolCalls, "the calls to make"),
               "answer": Field("answer", "output", str, None)}
    return Signature._make(inputs, outputs, "Pick the tools to call.")


def _run(server, reply, fn):
    server.load([reply])
    try:
        outcome = ("ok", dict(fn()))
    except Exception as exc:  # noqa: BLE001 - the two sides must fail alike
        outcome = ("error", type(exc).__name__)
    return outcome, [(r["path"], r["body"]) for r in server.requests]


@pytest.mark.parametrize("shape", ["anthropic", "gemini"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_own_wires_send_and_read_tools_as_dspy(servers, shape, data):
    specs, config, reply = data.draw(tools_and_reply(shape))
    server, model = servers[shape], MODELS[shape]
    sig = _sig()
    native_tools = [Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    dspy_tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    state = predict.create(sig, adapter="json")

    def reference():
        ref_lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=dspy_tools, config=dict(config))

    got = _run(server, reply, lambda: predict.execute(state, {"question": "Q?", "tools": native_tools}, lm=lm,
                                                      config=dict(config)))
    expected = _run(server, reply, reference)
    assert [b for _, b in got[1]] == [b for _, b in expected[1]]
    assert got[1] == expected[1] and len(got[1]) == 1 and "tools" in got[1][0][1]
    assert got[0] == expected[0]


@pytest.mark.parametrize("shape", ["anthropic", "gemini"])
@pytest.mark.parametrize("config", [{"tool_choice": {"type": "function", "function": {"name": "other"}}},
                                    {"tool_choice": "none", "parallel_tool_calls": False}])
def test_a_tool_choice_lm15_cannot_take_is_a_capability_error(servers, shape, config):
    """A tool the request's tools lack, "none" with parallel_tool_calls: dspy sends the call
    LiteLLM's way (or fails), whose tool requests for these providers are not built natively."""
    server = servers[shape]
    lm = dspex.LM(MODELS[shape], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    state = predict.create(_sig(), adapter="json")
    with pytest.raises(dspex.CapabilityError, match="tool_choice"):
        predict.execute(state, {"question": "Q?", "tools": [Tool(_noop)]}, lm=lm, config=config)


def _anthropic_events(reply: dict) -> list[dict]:
    """The Messages reply as its stream: each block opened, its text or arguments in two pieces."""
    events = [{"type": "message_start", "message": {"id": "msg", "type": "message", "role": "assistant",
                                                    "model": "m", "content": [], "usage": {"input_tokens": 5}}}]
    for index, block in enumerate(reply["content"]):
        if block["type"] == "tool_use":
            start = {k: v for k, v in block.items() if k != "input"} | {"input": {}}
            text, delta = json.dumps(block["input"]), "input_json_delta"
        elif block["type"] == "text":
            start, text, delta = {"type": "text", "text": ""}, block["text"], "text_delta"
        else:
            start, text, delta = {"type": "thinking", "thinking": ""}, block["thinking"], "thinking_delta"
        events.append({"type": "content_block_start", "index": index, "content_block": start})
        key = {"input_json_delta": "partial_json", "text_delta": "text", "thinking_delta": "thinking"}[delta]
        for piece in (text[:4], text[4:]):
            if piece:
                events.append({"type": "content_block_delta", "index": index, "delta": {"type": delta, key: piece}})
        events.append({"type": "content_block_stop", "index": index})
    return [*events, {"type": "message_delta", "delta": {"stop_reason": reply["stop_reason"]},
                      "usage": {"output_tokens": 3}}, {"type": "message_stop"}]


def _gemini_events(reply: dict) -> list[dict]:
    """The GenerateContent reply as its stream: its parts over two events, the last one finishing."""
    candidate = reply["candidates"][0]
    parts = candidate["content"]["parts"]
    half = len(parts) // 2
    first = {"candidates": [{"content": {"role": "model", "parts": parts[:half]}, "index": 0}]}
    last = {"candidates": [{**candidate, "content": {"role": "model", "parts": parts[half:]}}],
            "usageMetadata": reply["usageMetadata"]}
    return [first, last] if half else [last]


@pytest.mark.parametrize("shape", ["anthropic", "gemini"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_own_wires_stream_tool_calls_as_dspy_streamify_reads_them(servers, shape, data):
    """Streamed: the same request (Anthropic's ``stream: true``, Gemini's streaming method) and the
    Prediction ``dspy.streamify`` gives, the calls assembled from the stream's pieces as lm15 does."""
    specs, config, reply = data.draw(tools_and_reply(shape))
    events = _anthropic_events(reply) if shape == "anthropic" else _gemini_events(reply)
    server, model = servers[shape], MODELS[shape]
    sig = _sig()
    native_tools = [Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    dspy_tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)

    def native():
        ref = dspex.create("predict", sig, implementation="native", adapter="json")
        return list(ref.stream(question="Q?", tools=native_tools, lm=lm, config=dict(config)))[-1]

    def reference():
        ref_lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
        program = dspy.streamify(dspy.Predict(to_dspy_signature(sig)), async_streaming=False,
                                 stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")])
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return list(program(question="Q?", tools=dspy_tools, config=dict(config)))[-1]

    got = _run(server, events, native)
    expected = _run(server, events, reference)
    assert got[1] == expected[1] and len(got[1]) == 1
    assert got[0] == expected[0]
