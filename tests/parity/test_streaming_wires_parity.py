"""Streaming from Anthropic's and Gemini's own wires: native ``ref.stream`` against plain
``dspy.streamify`` with ``dspy.LM("anthropic/..." | "gemini/...")`` on its default engine (lm15),
both on one local fake of the provider's API streaming the same reply, cut where hypothesis says.

Per example: the same requests (path, query and whole body: Anthropic's ``"stream": true``,
Gemini's ``:streamGenerateContent?alt=sse``), as many; equal final Predictions, equal to the
unstreamed native call's for the same reply; each field's native chunks join to the text the
Prediction parsed; the same usage (``get_lm_usage()``: on Anthropic's stream only the output count,
as lm15 reads it); the history's completion the same (with a JSON adapter's ``bool`` output, the
answer dspy's own engine writes again). Streams of other shapes (thoughts, several text parts, a
usage-only last event, an error event, a stream cut before its end) are scripted event by event.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import Prediction, StreamChunk
from dspex_core._history import clear_history
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.lm import clear_clients
from _stream_events import CASES, Cuts, anthropic_events, drawn_case, gemini_events

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-stream-wires-0123456789"
MODELS = {"anthropic": "anthropic/claude-sonnet-4-5", "gemini": "gemini/gemini-2.5-flash"}


@pytest.fixture(scope="module")
def servers():
    cuts = Cuts()
    with ProviderServer("anthropic", stream_chunk_size=cuts) as anthropic, \
            ProviderServer("gemini", stream_chunk_size=cuts) as gemini:
        yield {"anthropic": anthropic, "gemini": gemini}, cuts
    clear_clients()


def _requests(server: ProviderServer) -> list[tuple]:
    return [(r["path"], r["query"], r["body"]) for r in server.requests]


def _dspy_stream(module: dspy.Module, fields: list[str], model: str, server: ProviderServer, inputs: dict,
                 adapter: object = None) -> tuple[list, Prediction, dspy.LM]:
    lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    listeners = [dspy.streaming.StreamListener(signature_field_name=f) for f in fields]
    program = dspy.streamify(module, stream_listeners=listeners, async_streaming=False)
    with dspy.context(lm=lm, adapter=adapter, track_usage=True):
        items = list(program(**inputs))
    return items[:-1], items[-1], lm


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(MODELS)), st.sampled_from(sorted(CASES)), st.data())
def test_a_streamed_call_on_a_providers_own_wire_is_dspys(servers, shape, name, data):
    by_shape, cuts = servers
    server = by_shape[shape]
    module_type, signature, fields, reply, inputs = drawn_case(data, name, cuts)

    server.load([reply])
    module = dspy.ChainOfThought(signature) if module_type == "chain_of_thought" else dspy.Predict(signature)
    _, dspy_pred, dspy_lm = _dspy_stream(module, fields, MODELS[shape], server, inputs)
    dspy_requests = _requests(server)

    server.load([reply, reply])
    lm = dspex.LM(MODELS[shape], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    ref = dspex.create(module_type, signature, implementation="native", lm=lm)
    clear_history()
    *chunks, final = list(ref.stream(**inputs))
    native_requests = _requests(server)
    assert native_requests == dspy_requests and len(native_requests) == 1
    assert dict(final) == dict(dspy_pred.items())
    assert final.get_lm_usage() == dspy_pred.get_lm_usage()
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"]
    assert all(isinstance(c, StreamChunk) for c in chunks)
    joined = {f: "".join(c.text for c in chunks if c.field == f) for f in fields}
    assert joined == {f: final[f] for f in fields}
    assert final == ref(**inputs)  # the unstreamed call of the same reply (Messages / GenerateContent)


ANSWER = "[[ ## answer ## ]]\nforty two\n\n[[ ## completed ## ]]"
SCRIPTED = {
    "anthropic: thinking, then the text": ("anthropic", anthropic_events(
        [("thinking", "let me see"), ("text", ANSWER)],
        {"output_tokens": 9, "cache_read_input_tokens": 4, "output_tokens_details": {"thinking_tokens": 3}})),
    "anthropic: two text blocks": ("anthropic", anthropic_events(
        [("text", ANSWER[:20]), ("text", ANSWER[20:])], {"input_tokens": 12, "output_tokens": 9,
                                                         "cache_creation_input_tokens": 5})),
    "anthropic: no usage": ("anthropic", anthropic_events([("text", ANSWER)], None)),
    "anthropic: ends at message_delta": ("anthropic", anthropic_events([("text", ANSWER)], {"output_tokens": 2},
                                                                        stop=False)),
    "gemini: a thought, then text over three events": ("gemini", gemini_events(
        [[{"text": "hmm", "thought": True}], [{"text": ANSWER[:11]}], [{"text": ANSWER[11:]}]],
        [None, {"promptTokenCount": 8}, {"promptTokenCount": 8, "candidatesTokenCount": 6, "thoughtsTokenCount": 2,
                                         "cachedContentTokenCount": 3, "totalTokenCount": 16}], finish_at=2)),
    "gemini: a usage-only last event": ("gemini", gemini_events(
        [[{"text": ANSWER}], [], []], [None, None, {"promptTokenCount": 5, "candidatesTokenCount": 4}], finish_at=1)),
    "gemini: two text parts in one event": ("gemini", gemini_events(
        [[{"text": ANSWER[:25]}, {"text": ANSWER[25:]}]], [{"promptTokenCount": 1}], finish_at=0)),
}


@pytest.mark.parametrize("name", sorted(SCRIPTED))
def test_streams_of_other_shapes_are_read_as_lm15_reads_them(servers, name):
    """Thoughts left out, text by part, the usage of the event that ends the reply (cache and
    thinking counts as dspy records them), a stream whose end is ``message_delta``."""
    by_shape, _ = servers
    shape, events = SCRIPTED[name]
    server = by_shape[shape]
    server.load([events])
    _, dspy_pred, dspy_lm = _dspy_stream(dspy.Predict("question -> answer"), ["answer"], MODELS[shape], server,
                                         {"question": "q"})
    dspy_requests = _requests(server)

    server.load([events])
    lm = dspex.LM(MODELS[shape], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    clear_history()
    *chunks, final = list(dspex.create("predict", "question -> answer", implementation="native", lm=lm)
                          .stream(question="q"))
    assert _requests(server) == dspy_requests
    assert dict(final) == dict(dspy_pred.items()) and final["answer"] == "forty two"
    assert final.get_lm_usage() == dspy_pred.get_lm_usage()
    # (with thoughts, both record {"text", "reasoning_content"})
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"]
    assert "".join(c.text for c in chunks) == "forty two"


FAILING = {
    "anthropic: an error event": ("anthropic", [
        {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}]),
    "anthropic: cut before its end": ("anthropic", anthropic_events([("text", ANSWER)], None)[:-2]),
    "gemini: no finishReason": ("gemini", gemini_events([[{"text": ANSWER}]], [None], finish_at=None)),
    "gemini: a blocked candidate": ("gemini", [{"candidates": [{"content": {"parts": []}, "finishReason": "SAFETY",
                                                                "index": 0}]}]),
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_stream_that_fails_fails_on_both(servers, name):
    """An error event, a blocked answer or a stream that stops before its last event: dspy's call
    raises, and native's raises ``dspex.LMError`` (after the same one request: no retries set)."""
    by_shape, _ = servers
    shape, events = FAILING[name]
    server = by_shape[shape]
    server.load([events])
    with pytest.raises(Exception):
        _dspy_stream(dspy.Predict("question -> answer"), ["answer"], MODELS[shape], server, {"question": "q"})
    assert len(server.requests) == 1

    server.load([events])
    lm = dspex.LM(MODELS[shape], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    ref = dspex.create("predict", "question -> answer", implementation="native", lm=lm)
    with pytest.raises(dspex.LMError) as raised:
        list(ref.stream(question="q"))
    assert len(server.requests) == 1
    if "cut" in name or "finishReason" in name:
        assert "ended before its last event" in str(raised.value)


@pytest.mark.parametrize("shape", sorted(MODELS))
def test_a_json_adapter_judgment_streams_and_records_dspys_answer(servers, shape):
    """A ``bool`` output with the JSON adapter: the schema lm15 writes for the wire, and the
    completion recorded (and parsed) is the answer written again, as dspy's own engine hands it on."""
    by_shape, cuts = servers
    server = by_shape[shape]
    cuts.points = [2, 9, 17]
    reply = '{\n  "ok":   true,\n  "why": "b\\u00e9"\n}'
    server.load([reply])
    _, dspy_pred, dspy_lm = _dspy_stream(dspy.Predict("question -> ok: bool, why"), ["ok", "why"], MODELS[shape],
                                         server, {"question": "q"}, adapter=dspy.JSONAdapter())
    dspy_requests = _requests(server)

    server.load([reply])
    lm = dspex.LM(MODELS[shape], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    ref = dspex.create("predict", "question -> ok: bool, why", implementation="native", lm=lm, adapter="json")
    clear_history()
    *chunks, final = list(ref.stream(question="q"))
    assert _requests(server) == dspy_requests
    assert dict(final) == dict(dspy_pred.items()) == {"ok": True, "why": "bé"}
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"] == ['{"ok": true, "why": "bé"}']
    assert {c.field for c in chunks} == {"ok", "why"}
