"""Streaming parity over real HTTP: native ``ref.stream`` against plain ``dspy.streamify`` (a
``StreamListener`` per output field, ``dspy.LM(model)`` with its default engine, or LiteLLM's),
on one local server streaming the same reply, cut where hypothesis says.

Per example: the same requests (whole bodies: ``stream``, ``stream_options`` and every other key),
as many of them; equal final Predictions, equal to the unstreamed native call's for the same reply;
each field's native chunks join to the text the Prediction parsed, in the order the reply writes
the fields (dspy's listeners lose a field's text for some cuts, so theirs is not the oracle there;
both name the predictor alike). A ReAct (each step streamed) and a JSONAdapter reply are compared
the same way, on fixed replies.
"""

from __future__ import annotations

import os
import threading
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import Prediction, StreamChunk
from dspex_core._history import clear_history
from dspex_core.testing.server import LocalLMServer
from dspex_native.lm import clear_clients

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-stream-parity-0123456789"
CASES = {  # module, signature, the output fields in the order the reply writes them
    "predict": ("predict", "question -> answer", ["answer"]),
    "two outputs": ("predict", "context, question -> summary, answer", ["summary", "answer"]),
    "chain_of_thought": ("chain_of_thought", "question -> answer", ["reasoning", "answer"]),
}


class Replies:
    """The server's responder and chunker, both set per example."""

    def __init__(self) -> None:
        self.reply = ""
        self.script: list[str] = []  # replies for the next requests, in order (then ``reply``)
        self.cuts: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, messages: list, settings: dict) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.reply

    def chunk(self, text: str) -> list[str]:
        points = [0, *sorted({c for c in self.cuts if 0 < c < len(text)}), len(text)]
        return [text[a:b] for a, b in zip(points, points[1:])]


@pytest.fixture(scope="module")
def served():
    replies = Replies()
    with LocalLMServer(replies, stream_chunk_size=replies.chunk) as server:
        yield server, replies
    clear_clients()


VALUE = st.text(alphabet=st.sampled_from(list("ab yz.,:#[]\n")), min_size=1, max_size=14).filter(
    lambda v: v.strip() and "[[" not in v)


def _dspy_stream(case: tuple, model: str, engine: str, server: LocalLMServer, inputs: dict) -> tuple[list, Prediction]:
    module_type, signature, fields = case
    lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                 **({"engine": engine} if engine != "auto" else {}))
    module = dspy.ChainOfThought(signature) if module_type == "chain_of_thought" else dspy.Predict(signature)
    listeners = [dspy.streaming.StreamListener(signature_field_name=f) for f in fields]
    program = dspy.streamify(module, stream_listeners=listeners, async_streaming=False)
    with dspy.context(lm=lm):
        items = list(program(**inputs))
    return items[:-1], items[-1]


@settings(max_examples=12)
@given(st.sampled_from(sorted(CASES)), st.sampled_from([("openai/gpt-4o-mini", "auto"), ("openai/local", "litellm")]),
       st.data())
def test_a_streamed_call_sends_and_returns_what_dspy_streamify_does(served, name, route, data):
    server, replies = served
    case = CASES[name]
    module_type, signature, fields = case
    model, engine = route
    values = {f: data.draw(VALUE, label=f) for f in fields}
    replies.reply = "".join(f"[[ ## {f} ## ]]\n{v}\n\n" for f, v in values.items()) + "[[ ## completed ## ]]"
    replies.cuts = data.draw(st.lists(st.integers(0, len(replies.reply)), max_size=12), label="cuts")
    inputs = {k.strip(): "x" for k in signature.split("->")[0].split(",")}

    server.reset()
    dspy_chunks, dspy_pred = _dspy_stream(case, model, engine, server, inputs)
    dspy_requests = [r["body"] for r in server.chat_requests]

    server.reset()
    lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                  **({"engine": engine} if engine != "auto" else {}))
    ref = dspex.create(module_type, signature, implementation="native", lm=lm)
    *chunks, final = list(ref.stream(**inputs))
    native_requests = [r["body"] for r in server.chat_requests]
    assert native_requests == dspy_requests and len(native_requests) == 1
    assert native_requests[0]["stream"] is True

    assert isinstance(final, Prediction) and dict(final) == dict(dspy_pred.items())
    assert final == ref(**inputs)  # the unstreamed call of the same reply
    assert all(isinstance(c, StreamChunk) for c in chunks)
    order = [c.field for c in chunks]
    assert order == sorted(order, key=fields.index)
    joined = {f: "".join(c.text for c in chunks if c.field == f) for f in fields}
    assert joined == {f: final[f] for f in fields}
    # dspy's listeners name the predictor alike; their text is not compared: they drop a field's
    # text in some cuts (a reply arriving in one piece streams an empty answer), native does not
    assert {c.predict_name for c in dspy_chunks} <= {c.predict_name for c in chunks}


@pytest.mark.parametrize("route", [("openai/gpt-4o-mini", "auto"), ("openai/local", "litellm")])
@pytest.mark.parametrize("module_type", ["predict", "chain_of_thought"])
def test_a_streamed_reply_that_cannot_be_parsed_is_not_asked_again_in_json(served, route, module_type):
    """dspy 3.4 retries a chat reply it cannot parse in JSON only if its stream gave nothing out:
    a streamed reply fails the call after one request, on both sides; the same reply from the cache
    (which comes whole) is asked again in JSON, and that reply streams."""
    server, replies = served
    model, engine = route
    replies.cuts = [3]
    engine_setting = {"engine": engine} if engine != "auto" else {}
    question = f"unparseable {module_type} {engine}"

    def runs(native: bool) -> list:
        server.reset()
        replies.script, replies.reply = ["no markers here", '{"reasoning": "r", "answer": "in json"}'], ""
        out = []
        for _ in range(2):  # a streamed reply, then the same from the cache
            try:
                if native:
                    lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=True, num_retries=0,
                                  **engine_setting)
                    *_, final = list(dspex.create(module_type, "question -> answer", implementation="native",
                                                  lm=lm).stream(question=question))
                else:
                    lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=True, num_retries=0, **engine_setting)
                    module = dspy.ChainOfThought("question -> answer") if module_type == "chain_of_thought" \
                        else dspy.Predict("question -> answer")
                    program = dspy.streamify(module, async_streaming=False, stream_listeners=[
                        dspy.streaming.StreamListener(signature_field_name="answer")])
                    with dspy.context(lm=lm):
                        final = list(program(question=question))[-1]
                out.append(("ok", dict(final), len(server.chat_requests)))
            except (dspex.AdapterParseError, dspy.utils.exceptions.AdapterParseError) as error:
                out.append(("parse error", "no markers here" in str(error), len(server.chat_requests)))
        return out

    dspy.configure_cache(enable_disk_cache=False)
    try:
        theirs = runs(native=False)
    finally:
        dspy.configure_cache(enable_disk_cache=True)
    mine = runs(native=True)
    clear_clients()
    assert mine == theirs
    assert theirs[0] == ("parse error", True, 1) and theirs[1][0] == "ok" and theirs[1][2] == 2


def _steps() -> list[str]:
    return ["[[ ## next_thought ## ]]\nlook it up\n\n[[ ## next_tool_name ## ]]\nfinish\n\n"
            "[[ ## next_tool_args ## ]]\n{}\n\n[[ ## completed ## ]]",
            "[[ ## reasoning ## ]]\nfound\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"]


@pytest.mark.parametrize("module_type", ["react", "json predict", "json judgment", "xml predict", "xml cot"])
def test_react_steps_and_json_and_xml_replies_stream_as_in_dspy(served, module_type):
    """A ReAct's steps, a JSON reply, a JSON reply to a ``bool`` output (a judgment: the completion
    recorded is the answer dspy's own engine writes again, the streamed pieces the reply), and
    XMLAdapter replies (entities, attributes, a list output)."""
    server, replies = served
    replies.cuts = [3, 9, 30, 31]
    if module_type == "react":
        script = _steps()
        dspy_module, adapter = dspy.ReAct("question -> answer", tools=[]), None
        ref = dspex.create("react", "question -> answer", tools=[], implementation="native")
    elif module_type.startswith("xml"):
        signature = "question -> answer, tags: list[str]"
        script = ['junk <answer id="1">\n caf&#233; &amp; &lt;b&gt;\r\n ok </answer>\n'
                  '<tags><item>x</item><item>y &amp; z</item></tags>']
        if module_type == "xml cot":
            script = ["<reasoning>because &quot;so&quot;</reasoning>\n" + script[0]]
        dspy_module = dspy.Predict(signature) if module_type == "xml predict" else dspy.ChainOfThought(signature)
        adapter = dspy.XMLAdapter()
        ref = dspex.create("predict" if module_type == "xml predict" else "chain_of_thought", signature,
                           implementation="native", adapter="xml")
    else:
        signature = "question -> reasoning, answer" if module_type == "json predict" else "question -> why, ok: bool"
        script = ['{"reasoning": "r\\u00e9", "answer": "a \\"b\\""}' if module_type == "json predict" else
                  '{\n  "why": "r\\u00e9",\n  "ok":   false\n}']
        dspy_module, adapter = dspy.Predict(signature), dspy.JSONAdapter()
        ref = dspex.create("predict", signature, implementation="native", adapter="json")
    lm = dspy.LM("openai/gpt-4o-mini", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    listeners = [dspy.streaming.StreamListener(signature_field_name=f, predict=p, predict_name=n, allow_reuse=True)
                 for n, p in dspy_module.named_predictors() for f in p.signature.output_fields]
    program = dspy.streamify(dspy_module, stream_listeners=listeners, async_streaming=False)

    server.reset()
    replies.script = list(script)
    with dspy.context(lm=lm, adapter=adapter):
        dspy_items = list(program(question="q"))
    dspy_bodies = [r["body"] for r in server.chat_requests]

    server.reset()
    replies.script = list(script)
    native_lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    clear_history()
    native_items = list(ref.stream(question="q", lm=native_lm))
    native_bodies = [r["body"] for r in server.chat_requests]

    assert native_bodies == dspy_bodies and all(b["stream"] is True for b in native_bodies)
    assert dict(native_items[-1]) == dict(dspy_items[-1].items())
    assert [e["outputs"] for e in dspex.history()] == [e["outputs"] for e in lm.history[-len(script):]]
    ours = [(c.predict_name, c.field) for c in native_items[:-1]]
    expected = [(n, f) for n, p in dspy_module.named_predictors() for f in p.signature.output_fields]
    assert sorted(set(ours), key=ours.index) == expected
    # dspy's listeners name the same predictors and fields (they lose some fields' text for some cuts)
    assert {(c.predict_name, c.signature_field_name) for c in dspy_items[:-1] if c.chunk} <= set(ours)
    if module_type.startswith("xml"):  # an element's text decoded as the parse reads it; a list's inner XML
        joined = {f: "".join(c.text for c in native_items[:-1] if c.field == f) for f in ("answer", "tags")}
        assert joined == {"answer": native_items[-1]["answer"], "tags": "<item>x</item><item>y &amp; z</item>"}
        assert native_items[-1]["answer"] == "café & <b>\n ok"


@pytest.mark.parametrize("route", [("openai/gpt-4o-mini", "auto"), ("openai/local", "litellm")])
@pytest.mark.parametrize("module_type", ["predict", "chain_of_thought"])
def test_n_completions_stream_as_in_dspy(route, module_type):
    """``n=3`` under streaming: dspy's own engine sends three streamed requests, LiteLLM's one with
    ``n``; the same bodies, the same completions and history, the first completion's text streamed."""
    import itertools

    model, engine = route

    def served_replies():
        requests = itertools.count()

        def respond(messages, settings):
            number = next(requests)
            return [("[[ ## reasoning ## ]]\nr\n\n" if module_type == "chain_of_thought" else "") +
                    f"[[ ## answer ## ]]\nreply {number}.{k}\n\n[[ ## completed ## ]]"
                    for k in range(settings.get("n") or 1)]
        return respond

    extra = {"engine": engine} if engine != "auto" else {}
    signature = "question -> answer"
    with LocalLMServer(served_replies(), stream_chunk_size=5) as server:
        lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0, **extra)
        program = dspy.ChainOfThought(signature) if module_type == "chain_of_thought" else dspy.Predict(signature)
        listeners = [dspy.streaming.StreamListener(signature_field_name="answer")]
        with dspy.context(lm=lm):
            theirs = list(dspy.streamify(program, stream_listeners=listeners, async_streaming=False)(
                question="q", config={"n": 3}))[-1]
        their_bodies = [r["body"] for r in server.chat_requests]
    with LocalLMServer(served_replies(), stream_chunk_size=5) as server:
        clear_history()
        native_lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0, **extra)
        *chunks, mine = list(dspex.create(module_type, signature, implementation="native").stream(
            question="q", lm=native_lm, config={"n": 3}))
        my_bodies = [r["body"] for r in server.chat_requests]
    clear_clients()
    assert my_bodies == their_bodies and len(my_bodies) == (3 if engine == "auto" else 1)
    assert [dict(c) for c in mine.completions] == [dict(c.items()) for c in theirs.completions]
    assert dict(mine) == dict(theirs.items())
    assert dspex.history()[-1]["outputs"] == lm.history[-1]["outputs"]
    assert "".join(c.text for c in chunks if c.field == "answer") == mine.answer == "reply 0.0"
