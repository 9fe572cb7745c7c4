"""A ``dspy.ToolCalls`` output field on native against dspy 3.4, when the calls come back in the reply
text: the ChatAdapter and XMLAdapter (no native function calling), the ChatAdapter's JSON retry,
and the JSONAdapter with a model that cannot call functions. Hypothesis draws the tools, the
calls (in every shape DSPy's validator reads: ``tool_calls`` objects, bare lists, one call,
``arguments`` as a JSON string, OpenAI's ``function`` objects) and the demos; the requests are
compared whole and the predictions equal. Where DSPy's JSONAdapter sends the tools natively (a
model that can call functions): test_native_function_calling_parity.py."""

from __future__ import annotations

import json
import os
import warnings
from xml.sax.saxutils import escape

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import assert_same_run, run_dspy, run_native
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing.server import LocalLMServer
from dspex_native.modules.predict import implementation as predict
from dspex_native.tools import Tool

warnings.filterwarnings("ignore", module="dspy")

NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000),
                         st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\\"),
                                 max_size=8))
ARGS = st.dictionaries(NAMES, st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS, max_size=3)), max_size=3)


@st.composite
def call_values(draw):
    """A JSON value DSPy's ToolCalls validator reads: calls in one of the shapes it accepts."""
    calls = draw(st.lists(st.tuples(NAMES, ARGS), min_size=1, max_size=3))

    def one(name, args):
        shape = draw(st.sampled_from(["args", "arguments", "arguments_text", "function"]))
        if shape == "args":
            return {"name": name, "args": args}
        if shape == "arguments":
            return {"name": name, "arguments": args}
        if shape == "arguments_text":
            return {"name": name, "arguments": json.dumps(args)}
        return {"id": f"call_{len(name)}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}

    written = [one(name, args) for name, args in calls]
    outer = draw(st.sampled_from(["object", "list", "single"]))
    if outer == "list":
        return written
    if outer == "single":
        return written[0]
    return {"tool_calls": written}


def search(query: str, limit: int = 3) -> list[str]:
    """Search the web."""
    return []


def _sig(calls_type=dspy.ToolCalls, with_tools=True, answer=True):
    inputs = {"question": Field("question", "input", str, None)}
    if with_tools:
        inputs["tools"] = Field("tools", "input", list[dspy.Tool], "the tools at hand")
    outputs = {"calls": Field("calls", "output", calls_type, "the calls to make")}
    if answer:
        outputs["answer"] = Field("answer", "output", str, None)
    return Signature._make(inputs, outputs, "Pick the tools to call.")


def _reply(adapter, calls, answer="done"):
    text = json.dumps(calls)
    if adapter == "chat":
        return f"[[ ## calls ## ]]\n{text}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"
    if adapter == "xml":  # escaped as XML text (a raw '<' in an argument fails both sides' parse)
        return f"<calls>\n{escape(text)}\n</calls>\n<answer>\n{escape(answer)}\n</answer>"
    return json.dumps({"calls": calls, "answer": answer})


@settings(max_examples=20, deadline=None)
@given(adapter=st.sampled_from(["chat", "json", "xml"]), calls=call_values(), demo=call_values(),
       retry=st.booleans())
def test_tool_calls_outputs_render_and_parse_as_dspy(adapter, calls, demo, retry):
    sig = _sig()
    replies = [_reply(adapter, calls)]
    if retry and adapter != "json":  # an unparseable reply, then DSPy's JSON retry
        replies = ["[[ ## nothing ## ]]", _reply("json", calls)]
    demos_native = [{"question": "q", "tools": [Tool(search)], "calls": demo, "answer": "a"}]
    demos_dspy = [{"question": "q", "tools": [dspy.Tool(search)], "calls": demo, "answer": "a"}]
    native = run_native(sig, inputs={"question": "Q?", "tools": [Tool(search)]}, replies=replies, adapter=adapter,
                        demos=demos_native)
    reference = run_dspy(sig, inputs={"question": "Q?", "tools": [dspy.Tool(search)]}, replies=replies,
                         adapter=adapter, demos=demos_dspy)
    assert_same_run(native, reference)
    assert native[0][0] == "ok"
    assert isinstance(native[0][1]["calls"], dspy.ToolCalls)


@pytest.mark.parametrize("adapter", ["chat", "json", "xml"])
def test_a_dspy_tool_calls_demo_value_is_written_as_dspy_writes_it(adapter):
    sig = _sig()
    value = dspy.ToolCalls.from_dict_list([{"name": "search", "args": {"query": "cats"}, "id": "c1"}])
    demos = [{"question": "q", "tools": [dspy.Tool(search)], "calls": value, "answer": "a"}]
    replies = [_reply(adapter, {"tool_calls": []})]
    inputs = {"question": "Q?", "tools": [dspy.Tool(search)]}
    assert_same_run(run_native(sig, inputs=inputs, replies=replies, adapter=adapter, demos=demos),
                    run_dspy(sig, inputs=inputs, replies=replies, adapter=adapter, demos=demos))


@pytest.mark.parametrize("adapter", ["chat", "xml"])
def test_a_reply_that_is_no_tool_call_fails_as_in_dspy(adapter):
    sig = _sig(answer=False)
    bad = {"chat": "[[ ## calls ## ]]\n[1, 2]\n\n[[ ## completed ## ]]", "xml": "<calls>\nsearch\n</calls>"}[adapter]
    inputs = {"question": "Q?", "tools": [dspy.Tool(search)]}
    native = run_native(sig, inputs=inputs, replies=[bad, '{"calls": 3}'], adapter=adapter)
    assert_same_run(native, run_dspy(sig, inputs=inputs, replies=[bad, '{"calls": 3}'], adapter=adapter))
    assert native[0][0] == "parse_error"


def test_native_tool_calls_type_sends_what_dspys_type_sends():
    """``dspex.ToolCalls`` (no dspy needed) renders as ``dspy.ToolCalls`` and reads the same calls."""
    calls = {"tool_calls": [{"name": "search", "arguments": '{"query": "x"}', "id": "c7"}]}
    inputs_native = {"question": "Q?", "tools": [Tool(search)]}
    native = run_native(_sig(dspex.ToolCalls), inputs=inputs_native, replies=[_reply("chat", calls)])
    reference = run_dspy(_sig(), inputs={"question": "Q?", "tools": [dspy.Tool(search)]},
                         replies=[_reply("chat", calls)])
    assert [c.messages for c in native[1]] == [c.messages for c in reference[1]]
    got, expected = native[0][1]["calls"], reference[0][1]["calls"]
    assert isinstance(got, dspex.ToolCalls)
    assert got.format() == expected.format() == {"tool_calls": [{"name": "search", "args": {"query": "x"}}]}
    assert [c.id for c in got.tool_calls] == [c.id for c in expected.tool_calls] == ["c7"]


def test_the_json_adapter_without_a_tool_input_fails_as_dspy():
    sig = _sig(with_tools=False)
    state = predict.create(sig, adapter="json")
    with pytest.raises(dspex.InputError, match="did not provide any tools as the input"):  # a ValueError, as DSPy's
        predict.execute(state, {"question": "Q?"}, lm=dspex.LM("openai/local-model"))
    with pytest.raises(ValueError, match="did not provide any tools as the input"):
        run_dspy(sig, inputs={"question": "Q?"}, replies=['{"calls": []}'], adapter="json")


# -- over HTTP: the JSONAdapter's response_format, and where DSPy calls functions natively ----------

@pytest.fixture(scope="module")
def server():
    replies = []
    with LocalLMServer(lambda messages, settings: [replies.pop(0)]) as srv:
        srv.replies = replies
        yield srv


def _over_http(server, run, model, adapter, replies):
    server.reset()
    server.replies[:] = list(replies)
    run(model, adapter)
    return [r["body"] for r in server.chat_requests]


@pytest.mark.parametrize(("model", "adapter", "replies"), [
    ("openai/local-model", "json", [_reply("json", {"tool_calls": [{"name": "search", "args": {"q": 1}}]})]),
    ("openai/gpt-4o-mini", "chat", ["no markers", _reply("json", [{"name": "search", "args": {}}])]),
    ("openai/gpt-4o-mini", "xml", [_reply("xml", {"name": "search", "args": {"q": "x"}})]),
])
def test_requests_over_http_are_dspys(server, model, adapter, replies):
    sig = _sig()
    outcomes = {}

    def native(model, adapter):
        lm = dspex.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        state = predict.create(sig, adapter=adapter)
        outcomes["native"] = predict.execute(state, {"question": "Q?", "tools": [Tool(search)]}, lm=lm)

    def reference(model, adapter):
        from _dspy_oracle import to_dspy_signature

        lm = dspy.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        adapters = {"json": dspy.JSONAdapter(), "xml": dspy.XMLAdapter(), "chat": dspy.ChatAdapter()}
        with dspy.context(lm=lm, adapter=adapters[adapter]):
            outcomes["dspy"] = dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=[dspy.Tool(search)])

    bodies = _over_http(server, native, model, adapter, replies)
    assert bodies == _over_http(server, reference, model, adapter, replies)
    assert "tools" not in bodies[-1]
    assert outcomes["native"]["calls"] == outcomes["dspy"].calls
    if adapter == "chat":  # the ChatAdapter's JSON retry asks for JSON mode (no schema) with a ToolCalls output
        assert bodies[-1]["response_format"] == {"type": "json_object"}


class _SchemaCapable:
    """An LM that offers response schemas and cannot call functions (as a custom LM declares it)."""

    supported_params = frozenset({"response_format"})
    supports_response_schema = True
    supports_function_calling = False


@pytest.mark.parametrize("answer", [True, False])
def test_the_json_adapters_schema_leaves_the_calls_out(answer):
    """DSPy's JSONAdapter (native function calling on) builds its structured-outputs schema
    without the ToolCalls output, even where the model cannot call functions."""
    from _dspy_oracle import CustomLM, to_dspy_signature
    from dspex_core.testing import RecordingLM

    class NativeLM(_SchemaCapable, RecordingLM):
        pass

    class DspyLM(_SchemaCapable, CustomLM):
        pass

    sig = _sig(answer=answer)
    reply = _reply("json", {"tool_calls": [{"name": "search", "args": {"query": "x"}}]}, "done")
    if not answer:
        reply = json.dumps({"calls": {"tool_calls": []}})
    native_lm, dspy_lm = NativeLM([reply]), RecordingLM([reply])
    got = predict.execute(predict.create(sig, adapter="json"), {"question": "Q?", "tools": [Tool(search)]},
                          lm=native_lm)
    with dspy.context(lm=DspyLM(dspy_lm), adapter=dspy.JSONAdapter()):
        expected = dspy.Predict(to_dspy_signature(sig))(question="Q?", tools=[dspy.Tool(search)])
    assert native_lm.calls[0].messages == dspy_lm.calls[0].messages
    schema = native_lm.calls[0].settings["response_format"]["json_schema"]["schema"]
    # a custom LM is handed dspy's pydantic model of the schema (dspy.LM sends its strict JSON schema)
    model = dspy_lm.calls[0].settings["response_format"]
    assert list(schema["properties"]) == list(model.model_json_schema()["properties"]) == (["answer"] if answer else [])
    assert got["calls"] == expected.calls


# -- tool calls in History messages --------------------------------------------------------------

@settings(max_examples=10, deadline=None)
@given(adapter=st.sampled_from(["chat", "xml", "chat_retry"]), calls=call_values(), as_object=st.booleans())
def test_tool_calls_in_history_messages_are_written_as_dspy_writes_them(adapter, calls, as_object):
    """Without native function calling (the Chat and XML adapters, the ChatAdapter's JSON retry) DSPy
    writes a turn's tool calls as the value's JSON, like any other output."""
    sig = Signature._make({"question": Field("question", "input", str, None),
                           "history": Field("history", "input", dspex.History, None)},
                          {"calls": Field("calls", "output", dspy.ToolCalls, None)}, None)
    parsed = dspy.ToolCalls.model_validate(calls)
    history = dspex.History([{"question": "earlier?", "calls": parsed if as_object else parsed.format()},
                             {"question": "and?"}])
    replies = {"chat": ['[[ ## calls ## ]]\n{"tool_calls": []}\n\n[[ ## completed ## ]]'],
               "xml": ['<calls>\n{"tool_calls": []}\n</calls>'],
               "chat_retry": ["no markers", json.dumps({"calls": {"tool_calls": []}})]}[adapter]
    mode = "xml" if adapter == "xml" else "chat"
    inputs = {"question": "Q?", "history": history}
    native = run_native(sig, inputs=inputs, replies=replies, adapter=mode)
    assert_same_run(native, run_dspy(sig, inputs=inputs, replies=replies, adapter=mode))
    assert native[0][0] == "ok"
