"""Streaming from anthropic/, gemini/, ollama/ and ollama_chat/ on LiteLLM's route
(``engine="litellm"``): native ``ref.stream`` against plain ``dspy.streamify`` with
``dspy.LM(model, engine="litellm")``, both on one local fake of the provider's API streaming the
same reply, cut where hypothesis says.

Per example: the same requests (path, query and whole body: LiteLLM's Messages body with
``"stream": true``, its GenerateContent body to ``:streamGenerateContent?alt=sse``, its Ollama
``/api/chat`` and ``/api/generate`` bodies with ``"stream": true``), as many; equal
final Predictions, equal to the unstreamed native call's for the same reply; each field's native
chunks join to the text the Prediction parsed; the same token counts (``get_lm_usage()``'s prompt,
completion and total: LiteLLM's usage entry carries details of its own, which native does not
write on LiteLLM's route, streamed or not). Streams of other shapes (the usage of
``message_start`` and ``message_delta`` drawn, Gemini's usage on any event, text parts in the
order they come, a stream without a ``finishReason``, ``n`` candidates; Ollama's think tags and
``thinking`` lines, a JSON reply held whole, a stream without its ``done`` line) are scripted
event by event.
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
from _stream_events import CASES, Cuts, anthropic_events, drawn_case, gemini_events
from dspex_core import Prediction, StreamChunk
from dspex_core._history import clear_history
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.lm import clear_clients

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-stream-litellm-0123456789"
MODELS = {"anthropic": ("anthropic/claude-sonnet-4-5", "anthropic/claude-3-5-haiku-20241022"),
          "gemini": ("gemini/gemini-2.5-flash", "gemini/gemini-2.0-flash"),
          "ollama": ("ollama_chat/llama3.1", "ollama/qwen3")}
LM_SETTINGS = st.fixed_dictionaries({}, optional={"temperature": st.sampled_from([0.0, 0.7]),
                                                  "max_tokens": st.sampled_from([256, 4000])})
ANSWER = "[[ ## answer ## ]]\nforty two\n\n[[ ## completed ## ]]"
TOKENS = ("prompt_tokens", "completion_tokens", "total_tokens")


@pytest.fixture(scope="module")
def servers():
    cuts = Cuts()
    with ProviderServer("anthropic", stream_chunk_size=cuts) as anthropic, \
            ProviderServer("gemini", stream_chunk_size=cuts) as gemini, \
            ProviderServer("ollama", stream_chunk_size=cuts) as ollama:
        yield {"anthropic": anthropic, "gemini": gemini, "ollama": ollama}, cuts
    clear_clients()


def _requests(server: ProviderServer) -> list[tuple]:
    return [(r["path"], r["query"], r["body"]) for r in server.requests]


def _key(model: str) -> str | None:
    return None if model.startswith("ollama") else KEY  # (a local Ollama takes no key)


def _tokens(pred: Prediction, model: str) -> dict:
    entry = pred.get_lm_usage().get(model) or {}
    return {key: entry.get(key) for key in TOKENS}


def _dspy_stream(module: dspy.Module, fields: list[str], model: str, server: ProviderServer, inputs: dict,
                 lm_settings: dict | None = None) -> tuple[Prediction, dspy.LM]:
    lm = dspy.LM(model, engine="litellm", api_base=server.url, api_key=_key(model), cache=False, num_retries=0,
                 **(lm_settings or {}))
    listeners = [dspy.streaming.StreamListener(signature_field_name=f) for f in fields]
    program = dspy.streamify(module, stream_listeners=listeners, async_streaming=False)
    with dspy.context(lm=lm, track_usage=True):
        items = list(program(**inputs))
    return items[-1], lm


def _native_stream(module_type: str, signature: str, model: str, server: ProviderServer, inputs: dict,
                   lm_settings: dict | None = None, **call: object) -> tuple[list, Prediction, dspex.ModuleRef]:
    lm = dspex.LM(model, engine="litellm", api_base=server.url, api_key=_key(model), cache=False, num_retries=0,
                  **(lm_settings or {}))
    ref = dspex.create(module_type, signature, implementation="native", lm=lm)
    clear_history()
    *chunks, final = list(ref.stream(**inputs, **call))
    return chunks, final, ref


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(MODELS)), st.sampled_from(sorted(CASES)), LM_SETTINGS, st.data())
def test_a_streamed_call_on_litellms_route_is_dspys(servers, shape, name, lm_settings, data):
    by_shape, cuts = servers
    server = by_shape[shape]
    model = data.draw(st.sampled_from(MODELS[shape]), label="model")
    module_type, signature, fields, reply, inputs = drawn_case(data, name, cuts)

    server.load([reply])
    module = dspy.ChainOfThought(signature) if module_type == "chain_of_thought" else dspy.Predict(signature)
    dspy_pred, dspy_lm = _dspy_stream(module, fields, model, server, inputs, lm_settings)
    dspy_requests = _requests(server)

    server.load([reply, reply])
    chunks, final, ref = _native_stream(module_type, signature, model, server, inputs, lm_settings)
    native_requests = _requests(server)
    assert native_requests == dspy_requests and len(native_requests) == 1
    assert native_requests[0][2].get("stream") is (None if shape == "gemini" else True)
    assert dict(final) == dict(dspy_pred.items())
    assert _tokens(final, model) == _tokens(dspy_pred, model)
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"]
    assert all(isinstance(c, StreamChunk) for c in chunks)
    joined = {f: "".join(c.text for c in chunks if c.field == f) for f in fields}
    assert joined == {f: final[f] for f in fields}
    assert final == ref(**inputs)  # the unstreamed call of the same reply, on the same route


USAGE = st.fixed_dictionaries({}, optional={
    "input_tokens": st.integers(0, 40), "output_tokens": st.integers(0, 20),
    "cache_read_input_tokens": st.integers(0, 9), "cache_creation_input_tokens": st.integers(0, 9)})


@settings(max_examples=40, deadline=None)
@given(start=USAGE, delta=st.one_of(st.none(), USAGE), thinking=st.booleans(), stop=st.booleans())
def test_anthropics_usage_is_folded_as_litellm_folds_it(servers, start, delta, thinking, stop):
    """``message_start``'s counts updated by ``message_delta``'s (a count left out is 0), each
    count the last one above 0: the token counts dspy records, for any usage the two events carry."""
    by_shape, _ = servers
    server = by_shape["anthropic"]
    model = MODELS["anthropic"][0]
    blocks = [("thinking", "hmm, well"), ("text", ANSWER)] if thinking else [("text", ANSWER)]
    events = anthropic_events(blocks, delta, stop=stop, start_usage=start)
    server.load([events])
    dspy_pred, _ = _dspy_stream(dspy.Predict("question -> answer"), ["answer"], model, server, {"question": "q"})
    server.load([events])
    chunks, final, _ = _native_stream("predict", "question -> answer", model, server, {"question": "q"})
    assert dict(final) == dict(dspy_pred.items()) == {"answer": "forty two"}
    assert "".join(c.text for c in chunks) == "forty two"
    assert _tokens(final, model) == _tokens(dspy_pred, model)


GEMINI_USAGE = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "promptTokenCount": st.integers(0, 30), "candidatesTokenCount": st.integers(0, 20),
    "thoughtsTokenCount": st.integers(0, 5), "cachedContentTokenCount": st.integers(0, 5)}))


@settings(max_examples=40, deadline=None)
@given(usages=st.lists(GEMINI_USAGE, min_size=3, max_size=3), finish_at=st.sampled_from([None, 1, 2]))
def test_geminis_usage_is_folded_as_litellm_folds_it(servers, usages, finish_at):
    """The usage of every event with ``usageMetadata`` (thoughts count as completion tokens), each
    count the last one above 0; the stream may end without a ``finishReason``."""
    by_shape, _ = servers
    server = by_shape["gemini"]
    model = MODELS["gemini"][0]
    events = gemini_events([[{"text": ANSWER[:11]}], [{"text": "ok", "thought": True}, {"text": ANSWER[11:]}], []],
                           usages, finish_at=finish_at)
    server.load([events])
    dspy_pred, _ = _dspy_stream(dspy.Predict("question -> answer"), ["answer"], model, server, {"question": "q"})
    server.load([events])
    _, final, _ = _native_stream("predict", "question -> answer", model, server, {"question": "q"})
    assert dict(final) == dict(dspy_pred.items()) == {"answer": "forty two"}
    mine = _tokens(final, model)
    if mine["prompt_tokens"] is None:  # no event reported usage: LiteLLM's tokenizer counts it
        assert not any(u for u in usages)
        return
    assert mine == _tokens(dspy_pred, model)


def test_geminis_text_parts_come_in_the_order_they_arrive(servers):
    """LiteLLM joins each event's text parts as they come (dspy's own engine joins them by their
    place in the event's parts): two parts per event read across events in arrival order."""
    by_shape, _ = servers
    server = by_shape["gemini"]
    model = MODELS["gemini"][0]
    pieces = [ANSWER[:6], ANSWER[6:19], ANSWER[19:30], ANSWER[30:]]
    events = gemini_events([[{"text": pieces[0]}, {"text": pieces[1]}], [{"text": pieces[2]}, {"text": pieces[3]}]],
                           [None, {"promptTokenCount": 5, "candidatesTokenCount": 3}], finish_at=1)
    server.load([events])
    dspy_pred, dspy_lm = _dspy_stream(dspy.Predict("question -> answer"), ["answer"], model, server, {"question": "q"})
    server.load([events])
    _, final, _ = _native_stream("predict", "question -> answer", model, server, {"question": "q"})
    assert dict(final) == dict(dspy_pred.items()) == {"answer": "forty two"}
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"] == [ANSWER]


def test_n_candidates_stream_the_first_and_keep_the_others(servers):
    """``n=2`` is one request with ``candidate_count``; the first candidate streams, both are completions."""
    by_shape, _ = servers
    server = by_shape["gemini"]
    model = MODELS["gemini"][0]
    other = "[[ ## answer ## ]]\nsix\n\n[[ ## completed ## ]]"
    events = [{"candidates": [{"content": {"role": "model", "parts": [{"text": ANSWER[:20]}]}, "index": 0},
                              {"content": {"role": "model", "parts": [{"text": other[:10]}]}, "index": 1}]},
              {"candidates": [{"content": {"role": "model", "parts": [{"text": ANSWER[20:]}]}, "index": 0,
                               "finishReason": "STOP"},
                              {"content": {"role": "model", "parts": [{"text": other[10:]}]}, "index": 1,
                               "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6}}]
    server.load([events])
    dspy_pred, dspy_lm = _dspy_stream(dspy.Predict("question -> answer"), ["answer"], model, server,
                                      {"question": "q", "config": {"n": 2}})
    dspy_requests = _requests(server)
    server.load([events])
    chunks, final, _ = _native_stream("predict", "question -> answer", model, server, {"question": "q"},
                                      config={"n": 2})
    assert _requests(server) == dspy_requests and len(dspy_requests) == 1
    assert dspy_requests[0][2]["generationConfig"]["candidate_count"] == 2
    assert final.completions.answer == dspy_pred.completions.answer == ["forty two", "six"]
    assert dspex.history()[-1]["outputs"] == dspy_lm.history[-1]["outputs"]
    assert "".join(c.text for c in chunks) == "forty two"
    assert _tokens(final, model) == _tokens(dspy_pred, model)


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from(["anthropic", "gemini"]), anthropic_usage=USAGE, gemini_usage=GEMINI_USAGE.filter(bool),
       total=st.one_of(st.none(), st.integers(0, 60)))
def test_an_unstreamed_reply_is_counted_as_litellm_counts_it(servers, shape, anthropic_usage, gemini_usage, total):
    """The same counting without streaming: Anthropic's counts left out are 0; Gemini's thoughts
    join the completion count unless the candidates count holds them, its total is as reported."""
    by_shape, _ = servers
    server = by_shape[shape]
    model = MODELS[shape][0]
    if shape == "anthropic":
        reply = {"id": "msg_x", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "end_turn",
                 "content": [{"type": "text", "text": ANSWER}], "usage": anthropic_usage}
    else:
        metadata = {**gemini_usage, **({"totalTokenCount": total} if total is not None else {})}
        reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": ANSWER}]}, "finishReason": "STOP",
                                 "index": 0}], "usageMetadata": metadata}
    server.load([reply])
    lm = dspy.LM(model, engine="litellm", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    with dspy.context(lm=lm, track_usage=True):
        dspy_pred = dspy.Predict("question -> answer")(question="q")
    server.load([reply])
    lm = dspex.LM(model, engine="litellm", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    final = dspex.create("predict", "question -> answer", implementation="native", lm=lm)(question="q")
    assert dict(final) == dict(dspy_pred.items())
    assert _tokens(final, model) == _tokens(dspy_pred, model)


def _ollama_lines(pieces: list[str], done: bool = True, generate: bool = False, **last: object) -> list[dict]:
    """An Ollama stream: a line per piece (``/api/chat``'s message or ``/api/generate``'s response),
    then the ``"done": true`` line with the token counts (unless ``done`` is false)."""
    def line(piece: str, **extra: object) -> dict:
        said = {"response": piece} if generate else {"message": {"role": "assistant", "content": piece}}
        return {"model": "m", "created_at": "2025-01-01T00:00:00Z", **said, **extra}

    lines = [line(piece, done=False) for piece in pieces]
    if done:
        lines.append(line("", done=True, done_reason="stop", **{"prompt_eval_count": 5, "eval_count": 3, **last}))
    return lines


JSON_ANSWER = '{"answer": "forty two"}'
OLLAMA_SCRIPTED = {  # name: (model, signature, adapter, lines)
    "chat: think tags, each piece on its own": ("ollama_chat/llama3.1", _ollama_lines(
        ["<think>", "hmm", "</think>", ANSWER])),
    "chat: a think block in one piece": ("ollama_chat/llama3.1", _ollama_lines(["<think>hmm</think>" + ANSWER])),
    "chat: a thinking line, then the text": ("ollama_chat/llama3.1", [
        {"model": "m", "message": {"role": "assistant", "content": "", "thinking": "hmm"}, "done": False},
        *_ollama_lines([ANSWER[:12], ANSWER[12:]])]),
    "chat: a text after the think block": ("ollama_chat/llama3.1", _ollama_lines(
        ["<think>hmm</think>", ANSWER[:12], ANSWER[12:]])),
    "generate: a think block over two pieces": ("ollama/qwen3", _ollama_lines(
        ["<think>hmm", "more</think>", ANSWER], generate=True)),
    "generate: a think block, then the text": ("ollama/qwen3", _ollama_lines(
        ["<think>hmm", "</think>", ANSWER[:5], ANSWER[5:]], generate=True)),
    "generate: a thinking line": ("ollama/qwen3", [
        {"model": "m", "response": "", "thinking": "x", "done": False}, *_ollama_lines([ANSWER], generate=True)]),
    "generate: a code fence held, then released": ("ollama/qwen3", _ollama_lines(
        ["`", "``", "\n" + ANSWER[:7], ANSWER[7:]], generate=True)),
    "generate: a JSON object held whole": ("ollama/qwen3", _ollama_lines(
        [" ", JSON_ANSWER[:4], JSON_ANSWER[4:]], generate=True)),
    "generate: a fenced JSON object held whole": ("ollama/qwen3", _ollama_lines(
        ["```json\n", JSON_ANSWER, "\n```"], generate=True)),
    "chat: no counts on the done line": ("ollama_chat/llama3.1", _ollama_lines([ANSWER], eval_count=None)),
}


@pytest.mark.parametrize("name", sorted(OLLAMA_SCRIPTED))
def test_ollama_streams_are_read_as_litellm_reads_them(servers, name):
    """Think tags and ``thinking`` lines (what LiteLLM takes as reasoning is left out, piece by
    piece as it reads them), a reply that opens as a JSON object held until the ``done`` line, the
    counts of that line: the same requests, Prediction or parse error (dspy 3.4 does not ask
    again in JSON once its stream gave anything out), token counts and recorded completion."""
    by_shape, _ = servers
    server = by_shape["ollama"]
    model, lines = OLLAMA_SCRIPTED[name]
    adapter = dspy.JSONAdapter() if "JSON" in name else None

    def outcome(run) -> tuple:
        try:
            final, outputs = run()
        except (dspex.AdapterParseError, dspy.utils.exceptions.AdapterParseError):
            return ("parse error", len(server.requests))
        return dict(final), _tokens(final, model), outputs, len(server.requests)

    def dspy_run():
        lm = dspy.LM(model, engine="litellm", api_base=server.url, cache=False, num_retries=0)
        program = dspy.streamify(dspy.Predict("question -> answer"), async_streaming=False,
                                 stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")])
        with dspy.context(lm=lm, track_usage=True, adapter=adapter):
            final = list(program(question="q"))[-1]
        return final, lm.history[-1]["outputs"]  # (what LiteLLM took as reasoning beside the text)

    def native_run():
        lm = dspex.LM(model, engine="litellm", api_base=server.url, cache=False, num_retries=0)
        ref = dspex.create("predict", "question -> answer", implementation="native", lm=lm,
                           adapter="json" if adapter else None)
        clear_history()
        *_, final = list(ref.stream(question="q"))
        return final, dspex.history()[-1]["outputs"]

    server.load([lines, lines])
    theirs = outcome(dspy_run)
    dspy_requests = _requests(server)
    server.load([lines, lines])
    mine = outcome(native_run)
    assert _requests(server) == dspy_requests
    if "no counts" in name:  # LiteLLM counts them with its tokenizer; native records none
        assert mine[1] == {key: None for key in TOKENS} and theirs[1]["prompt_tokens"] > 0
        mine, theirs = mine[:1] + mine[2:], theirs[:1] + theirs[2:]
    assert mine == theirs


FAILING = {  # name: (shape, model, events, the text streamed before the failure)
    "anthropic: an error event": ("anthropic", MODELS["anthropic"][0], [
        {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}], ""),
    "anthropic: cut before message_delta": ("anthropic", MODELS["anthropic"][0],
                                            anthropic_events([("text", ANSWER)], None)[:-2], ANSWER),
    "anthropic: message_stop without message_delta": ("anthropic", MODELS["anthropic"][0], [
        e for e in anthropic_events([("text", ANSWER)], {"output_tokens": 3}) if e["type"] != "message_delta"], ANSWER),
    "gemini: an error event": ("gemini", MODELS["gemini"][0], [
        {"candidates": [{"content": {"parts": [{"text": "[[ ##"}]}, "index": 0}]},
        {"error": {"code": 503, "message": "overloaded"}}], "[[ ##"),
    "ollama chat: no done line": ("ollama", "ollama_chat/llama3.1",
                                  _ollama_lines([ANSWER[:9], ANSWER[9:]], done=False), ANSWER),
    "ollama generate: no done line": ("ollama", "ollama/qwen3",
                                      _ollama_lines([ANSWER[:9], ANSWER[9:]], done=False, generate=True), ANSWER),
    "ollama chat: an error line": ("ollama", "ollama_chat/llama3.1",
                                   [*_ollama_lines([ANSWER[:9]], done=False), {"error": "boom"}], ANSWER[:9]),
    "ollama generate: an error line": ("ollama", "ollama/qwen3",
                                       [*_ollama_lines([ANSWER[:9]], done=False, generate=True), {"error": "boom"}],
                                       ANSWER[:9]),
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_stream_that_fails_fails_on_both(servers, name):
    """An error event or line, a stream cut before the end LiteLLM looks for (Anthropic's
    ``message_delta``, with ``message_stop`` or not; Ollama's ``done`` line): dspy's call raises,
    and native's raises ``dspex.LMError`` after the same one request, with the text streamed before it."""
    by_shape, _ = servers
    shape, model, events, partial = FAILING[name]
    server = by_shape[shape]
    server.load([events])
    with pytest.raises(Exception):
        _dspy_stream(dspy.Predict("question -> answer"), ["answer"], model, server, {"question": "q"})
    assert len(server.requests) == 1
    server.load([events])
    with pytest.raises(dspex.LMError) as raised:
        _native_stream("predict", "question -> answer", model, server, {"question": "q"})
    assert len(server.requests) == 1
    assert getattr(raised.value, "partial", "") == partial
