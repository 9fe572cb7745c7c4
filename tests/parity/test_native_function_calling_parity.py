"""DSPy's native function calling on native against dspy 3.4, over HTTP: the JSONAdapter with a tool
input, a ToolCalls output and a model that can call functions sends the tools in the request, leaves
both fields out of the prompt and reads the reply's ``tool_calls``. Hypothesis draws the tools (names,
argument schemas, defaults), the calls the local server answers with (arguments as JSON text or
objects), and the reply's text (none, JSON of the other outputs, or unreadable); the request bodies
are compared whole (and counted) and the predictions equal."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

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

MODEL = "openai/gpt-4o-mini"  # dspy's own engine: function calling on
NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
SCALARS = st.one_of(st.booleans(), st.integers(-99, 99), st.text("abc xyz", max_size=6))
ARG_SCHEMAS = st.dictionaries(NAMES, st.sampled_from([{"type": "string"}, {"type": "integer"},
                                                      {"type": "string", "default": "x"}]), max_size=3)


def _noop(**kwargs):
    """A tool."""


@st.composite
def tools_and_calls(draw):
    specs = draw(st.lists(st.tuples(NAMES, ARG_SCHEMAS, st.text("abc .", max_size=10)), min_size=1, max_size=2,
                          unique_by=lambda t: t[0]))
    calls = []
    for i in range(draw(st.integers(1, 3))):
        name, schema, _ = draw(st.sampled_from(specs))
        args = {k: draw(SCALARS) for k in schema}
        arguments = json.dumps(args) if draw(st.booleans()) else args
        calls.append({"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}})
    return specs, calls


@pytest.fixture(scope="module")
def server():
    replies = []
    with LocalLMServer(lambda messages, settings: [replies.pop(0)]) as srv:
        srv.replies = replies
        yield srv


def _sig(answer: bool) -> Signature:
    inputs = {"question": Field("question", "input", str, None),
              "tools": Field("tools", "input", list[dspy.Tool], "the tools at hand")}
    outputs = {"calls": Field("calls", "output", dspy.ToolCalls, "the calls to make")}
    if answer:
        outputs["answer"] = Field("answer", "output", str, None)
    return Signature._make(inputs, outputs, "Pick the tools to call.")


def _run(server, replies, fn):
    server.reset()
    server.replies[:] = list(replies)
    try:
        outcome = ("ok", dict(fn()))
    except Exception as exc:  # noqa: BLE001 - the two sides must fail alike
        outcome = ("error", type(exc).__name__)
    return outcome, [r["body"] for r in server.chat_requests]


#: dspy's own engine (lm15), and LiteLLM's route (engine="litellm")
ENGINES = ["auto", "litellm"]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=12, deadline=None)
@given(drawn=tools_and_calls(), answer=st.booleans(),
       text=st.sampled_from([None, "", '{"answer": "done"}', "not json"]), asynchronous=st.booleans())
def test_native_function_calling_sends_and_reads_what_dspy_does(server, engine, drawn, answer, text, asynchronous):
    specs, calls = drawn
    sig = _sig(answer)
    native_tools = [Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    dspy_tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    replies = [{"content": text, "tool_calls": calls}]
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)
    state = predict.create(sig, adapter="json")
    inputs = {"question": "Q?", "tools": native_tools}

    def native():
        if asynchronous:
            import asyncio

            return asyncio.run(predict.aexecute(state, inputs, lm=lm))
        return predict.execute(state, inputs, lm=lm)

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=dspy_tools)

    got, got_bodies = _run(server, replies, native)
    expected, expected_bodies = _run(server, replies, reference)
    assert got_bodies == expected_bodies and len(got_bodies) == 1
    assert [t["function"]["name"] for t in got_bodies[0]["tools"]] == [n for n, _, _ in specs]
    assert got[0] == expected[0] == "ok"
    assert got[1] == expected[1]
    assert [c.id for c in got[1]["calls"].tool_calls] == [c["id"] for c in calls]


@pytest.mark.parametrize("text", ['{"answer": "done"}', "not json", ""])
def test_a_reply_without_tool_calls_reads_as_dspy(server, text):
    """No tool_calls: the text is read for the other outputs (the calls are None), or fails alike."""
    sig = _sig(True)
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
    state = predict.create(sig, adapter="json")

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=[dspy.Tool(_noop)])

    got = _run(server, [text], lambda: predict.execute(state, {"question": "Q?", "tools": [Tool(_noop)]}, lm=lm))
    expected = _run(server, [text], reference)
    assert got[1] == expected[1]
    assert got[0][0] == expected[0][0]
    if got[0][0] == "ok":
        assert got[0][1] == expected[0][1] and got[0][1]["calls"] is None
    else:
        assert got[0][1] == "AdapterParseError"


@pytest.mark.parametrize("model, engine", [("gemini/gemini-2.5-flash", "litellm"),
                                           ("anthropic/claude-sonnet-4-5", "litellm"),
                                           ("mistral/codestral-latest", "auto")])
def test_routes_not_built_stay_refused(server, model, engine):
    lm = dspex.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)
    state = predict.create(_sig(True), adapter="json")
    with pytest.raises(dspex.CapabilityError, match="native function calling"):
        predict.execute(state, {"question": "Q?", "tools": [Tool(_noop)]}, lm=lm)


@pytest.mark.parametrize("history", [False, True])
def test_demos_and_history_are_rendered_without_the_tool_fields(server, history):
    """DSPy renders demos (and a History's turns) with the signature less the tools and the calls."""
    sig = _sig(True)
    if history:
        sig = Signature._make({**sig.input_fields, "history": Field("history", "input", dspex.History, None)},
                              dict(sig.output_fields), sig.instructions)
    calls = [{"id": "c1", "type": "function", "function": {"name": "_noop", "arguments": "{}"}}]
    demo = {"question": "q", "calls": {"tool_calls": [{"name": "_noop", "args": {}}]}, "answer": "a"}
    turns = dspex.History([{"question": "earlier?", "answer": "yes"}])
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
    state = predict.create(sig, adapter="json", demos=[{**demo, "tools": [Tool(_noop)]}])
    extra = {"history": turns} if history else {}

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        program = dspy.Predict(to_dspy_signature(sig))
        program.demos = [dspy.Example({**demo, "tools": [dspy.Tool(_noop)]})]
        history_value = {"history": dspy.History(messages=turns.messages)} if history else {}
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return program(question="Q?", tools=[dspy.Tool(_noop)], **history_value)

    replies = [{"content": '{"answer": "done"}', "tool_calls": calls}]
    got = _run(server, replies, lambda: predict.execute(state, {"question": "Q?", "tools": [Tool(_noop)], **extra},
                                                          lm=lm))
    expected = _run(server, replies, reference)
    assert got[1] == expected[1]
    assert got[0] == expected[0] and got[0][0] == "ok"


#: a well-formed reply text per adapter: with the calls (no native calling) or the answer alone
TEXT = {("chat", True): '[[ ## calls ## ]]\n{"tool_calls": []}\n\n[[ ## answer ## ]]\ndone\n\n[[ ## completed ## ]]',
        ("chat", False): "[[ ## answer ## ]]\ndone\n\n[[ ## completed ## ]]",
        ("json", True): '{"calls": {"tool_calls": []}, "answer": "done"}',
        ("json", False): '{"answer": "done"}'}


@settings(max_examples=8, deadline=None)
@given(drawn=tools_and_calls(), adapter=st.sampled_from(["chat", "json", None]),
       native_calls=st.sampled_from([True, False, None]), parallel=st.sampled_from([True, False, None]))
def test_adapter_options_send_on_both_backends_what_dspy_does(server, drawn, adapter, native_calls, parallel):
    """``adapter_options`` (DSPy's adapter constructor settings) on the native and the dspy backend,
    created through the public API, against plain dspy with that adapter built with those settings."""
    specs, calls = drawn
    sig = _sig(True)
    options = {k: v for k, v in (("use_native_function_calling", native_calls), ("parallel_tool_calls", parallel))
               if v is not None}
    sends_tools = options.get("use_native_function_calling", adapter == "json")
    kind = "json" if adapter == "json" else "chat"
    replies = ([{"content": TEXT[kind, False], "tool_calls": calls}] if sends_tools else [TEXT[kind, True]])
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
    tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]

    def on(backend):
        ref = dspex.create("predict", sig, adapter=adapter, adapter_options=options, lm=lm, implementation=backend)
        return ref(question="Q?", tools=tools)

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        made = {"chat": dspy.ChatAdapter, "json": dspy.JSONAdapter, None: dspy.ChatAdapter}[adapter]
        with dspy.context(lm=ref_lm, adapter=made(**options) if options or adapter else None):
            return dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=tools)

    expected = _run(server, replies, reference)
    assert expected[0][0] == "ok" and ("tools" in expected[1][0]) == sends_tools
    for backend in ("native", "dspy"):
        assert _run(server, replies, lambda: on(backend)) == expected, backend


@settings(max_examples=16, deadline=None)
@given(drawn=tools_and_calls(), answer=st.booleans(), text=st.sampled_from([None, '{"answer": "done"}', "not json"]),
       engine=st.sampled_from(["auto", "litellm"]))
def test_a_streamed_reply_with_function_calls_reads_as_under_dspy_streamify(server, drawn, answer, text, engine):
    """Streaming on dspy's own engine and on LiteLLM's route: the calls arrive as
    ``delta.tool_calls`` pieces (arguments cut anywhere); the same request, and the same Prediction
    as ``dspy.streamify`` gives (on LiteLLM's route the calls as its chunk builder assembles them)."""
    specs, calls = drawn
    sig = _sig(answer)
    native_tools = [Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    dspy_tools = [dspy.Tool(_noop, name=n, desc=d, args=a) for n, a, d in specs]
    replies = [{"content": text, "tool_calls": calls}]
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)

    def native():
        ref = dspex.create("predict", sig, implementation="native", adapter="json")
        return list(ref.stream(question="Q?", tools=native_tools, lm=lm))[-1]

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0,
                         **({"engine": engine} if engine != "auto" else {}))
        listeners = [dspy.streaming.StreamListener(signature_field_name="answer")] if answer else []
        program = dspy.streamify(dspy.Predict(to_dspy_signature(sig)), stream_listeners=listeners,
                                 async_streaming=False)
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            return list(program(question="Q?", tools=dspy_tools))[-1]

    got, got_bodies = _run(server, replies, native)
    expected, expected_bodies = _run(server, replies, reference)
    assert got_bodies == expected_bodies and len(got_bodies) == 1 and got_bodies[0]["stream"] is True
    assert got == expected and got[0] == "ok"
    assert [c.id for c in got[1]["calls"].tool_calls] == [c["id"] for c in calls]


def _id(call_id: str) -> str:
    """A call's id, a random UUID (LiteLLM's for a call that came without one) as its shape."""
    import re

    return "<uuid4>" if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", call_id) \
        else call_id


def _calls(calls: Any) -> list | None:
    """``(name, args, id shape)`` of each call of a ToolCalls output (``None``: no calls read)."""
    return None if calls is None else [(c.name, c.args, _id(c.id)) for c in calls.tool_calls]


ODD_CALLS = {  # calls whose assembly differs by route: no id, arguments that are not an object
    "no id": [{"type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}],
    "arguments not JSON": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1'}}],
    "arguments a list": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}],
    "two calls, the second without id": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        {"type": "function", "function": {"name": "f", "arguments": '{"x": 2}'}}],
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(ODD_CALLS))
def test_odd_streamed_calls_read_as_under_dspy_streamify(server, engine, name):
    """Calls without an id or with arguments that are no JSON object, streamed: lm15 numbers and
    rewrites them as it assembles the stream; LiteLLM's chunk builder keeps them as they came and
    dspy reads that message as an unstreamed one. Both as dspy gives them, or both failing."""
    sig = _sig(True)
    tool = Tool(_noop, name="f", desc="d", args={"x": {"type": "integer"}})
    replies = [{"content": '{"answer": "done"}', "tool_calls": ODD_CALLS[name]}]
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)

    def native():
        ref = dspex.create("predict", sig, implementation="native", adapter="json")
        final = list(ref.stream(question="Q?", tools=[tool], lm=lm))[-1]
        return {**final, "calls": _calls(final["calls"])}

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0,
                         **({"engine": engine} if engine != "auto" else {}))
        program = dspy.streamify(dspy.Predict(to_dspy_signature(sig)), async_streaming=False, stream_listeners=[
            dspy.streaming.StreamListener(signature_field_name="answer")])
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            final = list(program(question="Q?", tools=[dspy.Tool(_noop, name="f", desc="d",
                                                                 args={"x": {"type": "integer"}})]))[-1]
        return {**final, "calls": _calls(final["calls"])}

    got = _run(server, replies, native)
    expected = _run(server, replies, reference)
    assert got == expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(ODD_CALLS))
def test_odd_calls_read_as_dspy_reads_them(server, engine, name):
    """The same calls unstreamed: lm15 numbers and rewrites them; on LiteLLM's route they come as
    they are (a missing id a random UUID) and dspy's adapter reads the arguments leniently."""
    sig = _sig(True)
    tool = Tool(_noop, name="f", desc="d", args={"x": {"type": "integer"}})
    replies = [{"content": '{"answer": "done"}', "tool_calls": ODD_CALLS[name]}]
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, engine=engine)

    def native():
        final = dspex.create("predict", sig, implementation="native", adapter="json")(question="Q?", tools=[tool],
                                                                                      lm=lm)
        return {**final, "calls": _calls(final["calls"])}

    def reference():
        ref_lm = dspy.LM(MODEL, api_base=server.url, api_key="sk-test", cache=False, num_retries=0,
                         **({"engine": engine} if engine != "auto" else {}))
        with dspy.context(lm=ref_lm, adapter=dspy.JSONAdapter()):
            final = dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=[dspy.Tool(_noop, name="f", desc="d",
                                                                 args={"x": {"type": "integer"}})])
        return {**final, "calls": _calls(final["calls"])}

    got = _run(server, replies, native)
    expected = _run(server, replies, reference)
    assert got == expected
