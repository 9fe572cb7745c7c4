"""Native streaming: the field readers, and Predict/ChainOfThought streamed from the local server.

The readers are checked against the parse they stream for (ChatAdapter markers, JSON objects),
with hypothesis choosing where the reply is cut; the streamed calls against the local server's
event streams: the chunks, the final Prediction (equal to the unstreamed one), the request, usage,
callbacks, cache hits, retries before the first piece and the error (with the partial text) after.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import AdapterParseError, CapabilityError, LMError, Prediction, StreamChunk
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer
from dspex_native.adapters import get_format
from dspex_native.adapters._chat_stream import ChatFieldStream
from dspex_native.adapters._json_stream import JSONFieldStream
from dspex_native.adapters._xml_stream import XMLFieldStream
from dspex_native.lm import clear_clients, get_client
from dspex_native.lm.streaming import LMStream

SIG = dspex.Signature("question -> reasoning, answer")
CHAT = get_format(SIG, "chat")
JSON = get_format(SIG, "json")
REPLY = "[[ ## reasoning ## ]]\nthink a bit\n\n[[ ## answer ## ]]\nhello world\n\n[[ ## completed ## ]]"
FAST = {"retry_base_delay": 0.001, "retry_max_delay": 0.01, "cache": False, "api_key": "sk-test"}


def fed(reader, pieces) -> dict[str, str]:
    """Each field's chunks joined, after feeding ``pieces`` and finishing."""
    out: dict[str, str] = {}
    for chunk in [c for p in pieces for c in reader.feed(p)] + reader.finish():
        assert isinstance(chunk, StreamChunk) and chunk.text
        out[chunk.field] = out.get(chunk.field, "") + chunk.text
    return out


def cut(text: str, cuts: list[int]) -> list[str]:
    points = [0, *sorted(set(cuts)), len(text)]
    return [text[a:b] for a, b in zip(points, points[1:])]


# -- the readers ------------------------------------------------------------------------------------

LINE = st.text(alphabet=st.sampled_from(list("ab #[]\n\r\u2028")), max_size=6)
MARKER = st.sampled_from(["[[ ## answer ## ]]", "[[ ## reasoning ## ]]", "[[ ## completed ## ]]",
                          "[[ ## other ## ]]", "  [[ ## answer ## ]] x", "[[ ## answ", "\n"])


@settings(max_examples=80)
@given(st.lists(st.one_of(LINE, MARKER), max_size=8),
       st.permutations(["\n[[ ## answer ## ]]", "[[ ## reasoning ## ]] "]), st.data())
def test_chat_chunks_join_to_what_the_parse_reads(parts, needed, data):
    first = data.draw(st.integers(0, len(parts)))
    second = data.draw(st.integers(first, len(parts)))
    text = "".join(parts[:first] + [needed[0]] + parts[first:second] + [needed[1]] + parts[second:])
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=8))
    try:
        expected = CHAT.parse(text)
    except dspex.AdapterParseError:
        return
    got = fed(ChatFieldStream(["reasoning", "answer"]), cut(text, cuts))
    assert {k: got.get(k, "") for k in expected} == expected


def test_a_marker_split_across_pieces_and_text_before_the_first_marker():
    pieces = ["pream", "ble\n[[ #", "# reas", "oning ## ]]\n thi", "nk  \n\n[", "[ ## answer ##", " ]]\nhi\r",
              "\nthere [[ ## answer ## ]]\n\n[[ ## comp", "leted ## ]]\nafter"]
    reader = ChatFieldStream(["reasoning", "answer"], "predict")
    chunks = [c for p in pieces for c in reader.feed(p)] + reader.finish()
    assert all(c.predict_name == "predict" for c in chunks)
    assert [c.field for c in chunks] == sorted((c.field for c in chunks), key=["reasoning", "answer"].index)
    text = "".join(pieces)
    assert fed(ChatFieldStream(["reasoning", "answer"]), pieces) == CHAT.parse(text) == {
        "reasoning": "think", "answer": "hi\nthere [[ ## answer ## ]]"}
    # the held-back text goes out as soon as it is certain: "thi" before the line ends
    reader = ChatFieldStream(["reasoning", "answer"])
    assert reader.feed("[[ ## reasoning ## ]]\nthi") == [StreamChunk("reasoning", "thi")]
    assert reader.feed("nk  ") == [StreamChunk("reasoning", "nk")]  # trailing spaces wait
    assert reader.feed("\n[[ ## ans") == []  # a marker, maybe
    assert reader.feed("wer ## ]]") == []
    assert reader.feed("\nok") == [StreamChunk("answer", "ok")]


@settings(max_examples=60)
@given(st.text(max_size=10), st.text(max_size=10), st.sampled_from(["plain", "ascii", "fenced", "extra keys"]),
       st.data())
def test_json_chunks_join_to_the_values_escapes_split_anywhere(reasoning, answer, style, data):
    value = {"reasoning": reasoning, "answer": answer}
    if style == "extra keys":
        value = {"x": [1, {"y": "]}"}], **value, "z": None}
    text = json.dumps(value, ensure_ascii=style == "ascii")
    if style == "fenced":
        text = "```json\n" + json.dumps(value, indent=2) + "\n```"
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=10))
    assert fed(JSONFieldStream(["reasoning", "answer"]), cut(text, cuts)) == \
        {k: v for k, v in JSON.parse(text).items() if v}


def test_json_escapes_and_surrogate_pairs_are_never_given_out_half():
    reader = JSONFieldStream(["answer", "n"])
    pieces = ['{"answer": "caf\\u00', 'e9 \\', '"q\\"', ' \\ud83d', '\\ude00!", "n": [1,', ' 2]}']
    got = [reader.feed(p) for p in pieces]
    assert got == [[StreamChunk("answer", "caf")], [StreamChunk("answer", "é ")], [StreamChunk("answer", '"q"')],
                   [StreamChunk("answer", " ")], [StreamChunk("answer", "😀!")], [StreamChunk("n", "[1, 2]")]]
    assert json.loads("".join(pieces)) == {"answer": 'café "q" 😀!', "n": [1, 2]}


XML = get_format(SIG, "xml")
XML_TEXT = st.lists(st.sampled_from([*"ab é\n\r\t.,>\"'", " &amp; ", "&lt;", "&#233;", "&#x41;", "&quot;", "\r\n"]),
                    max_size=8).map("".join)
XML_SEGMENT = st.one_of(
    st.builds(lambda name, attrs, body: f"<{name}{attrs}>{body}</{name}>", st.sampled_from(["reasoning", "answer"]),
              st.sampled_from(["", ' id="1"', " x='y'"]), XML_TEXT),
    st.sampled_from(["<answer/>", "<other>x &amp; <b>y</b></other>", "<other/>", "\n\n", "  junk text ",
                     "<?pi x > y?>", "<!-- <answer>no</answer> -->", "<!-- a > <answer>no</answer> -->",
                     "<![CDATA[<answer>no</answer>]]>"]))


@settings(max_examples=150)
@given(st.lists(XML_SEGMENT, max_size=6), XML_TEXT, XML_TEXT, st.data())
def test_xml_chunks_join_to_the_text_the_parse_reads(segments, reasoning, answer, data):
    """Elements in any order among junk, other elements, comments, attributes, entities and
    \r\n line ends, cut anywhere: a field's chunks are the text the parse reads for it."""
    order = data.draw(st.permutations([f"<reasoning>{reasoning}</reasoning>", f"<answer>\n{answer}\n</answer>"]))
    parts = [*segments, *order]
    text = "".join(data.draw(st.permutations(parts)))
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    joined = fed(XMLFieldStream(XML.output_types), cut(text, cuts))
    try:
        parsed = XML.parse(text)
    except AdapterParseError:  # not XML: the final parse says so (the chunks were the elements' text)
        return
    tags = [child.tag for child in ET.fromstring(f"<r>{text}</r>")]
    if any(tags.count(name) > 1 for name in parsed):  # the parse reads several as a list; the first streams
        assert set(joined) <= set(parsed)
        return
    assert joined == {k: v for k, v in parsed.items() if v}


@pytest.mark.parametrize("body", ["\n\r&lt;\na\n", "x\r&amp;\ny", "\r&#233;\r\nz"])
def test_a_line_end_after_an_entity_after_a_carriage_return_is_kept(body):
    # "\r" then an entity then "\n": the "\n" is a line end of its own, not the second half of "\r\n"
    # (hypothesis found the streamed text missing it)
    text = f"<reasoning></reasoning><answer>{body}</answer>"
    assert fed(XMLFieldStream(XML.output_types), cut(text, [])) == {"answer": XML.parse(text)["answer"]}


def test_xml_entities_and_line_ends_are_never_given_out_half_and_children_end_a_field():
    reader = XMLFieldStream({"answer": str, "items": list[str]})
    pieces = ["junk <answer>  caf&#2", "33; &am", "p; x\r", "\nyz  ", " </answer>",
              "<items><item>a</item>", "<item>b</item></items>"]
    got = [reader.feed(p) for p in pieces]
    assert got == [[StreamChunk("answer", "caf")], [StreamChunk("answer", "é")], [StreamChunk("answer", " & x")],
                   [StreamChunk("answer", "\nyz")], [], [], [StreamChunk("items", "<item>a</item><item>b</item>")]]
    other = XMLFieldStream(["answer"])
    assert other.feed("<answer>one <b>two</b> three</answer>") == [StreamChunk("answer", "one")]


# -- streamed calls ---------------------------------------------------------------------------------

@pytest.fixture
def server():
    with LocalLMServer(REPLY, stream_chunk_size=5) as server:
        yield server
    clear_clients()


def lm_for(server: LocalLMServer, model: str = "openai/gpt-4o-mini", **settings) -> dspex.LM:
    return dspex.LM(model, api_base=server.url, **{**FAST, **settings})


def split(items: list) -> tuple[dict[str, str], Prediction]:
    *chunks, final = items
    assert isinstance(final, Prediction) and all(isinstance(c, StreamChunk) for c in chunks)
    joined: dict[str, str] = {}
    for chunk in chunks:
        joined[chunk.field] = joined.get(chunk.field, "") + chunk.text
    return joined, final


def test_chain_of_thought_streams_reasoning_then_the_answer(server):
    cot = dspex.ChainOfThought.create("question -> answer", implementation="native", lm=lm_for(server))
    items = list(cot.stream(question="hi"))
    fields = [c.field for c in items[:-1]]
    assert fields == sorted(fields, key=["reasoning", "answer"].index) and len(fields) > 2
    assert {c.predict_name for c in items[:-1]} == {"predict"}
    joined, final = split(items)
    assert joined == {"reasoning": "think a bit", "answer": "hello world"}
    assert final == cot(question="hi")
    assert final.get_lm_usage()["openai/gpt-4o-mini"]["total_tokens"] > 0
    streamed, plain = (r["body"] for r in server.chat_requests)
    assert streamed == {**plain, "stream": True, "stream_options": {"include_usage": True}}


def test_predict_streams_and_async_too(server):
    server.responder = "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"
    predict = dspex.Predict.create("question -> answer: int", implementation="native", lm=lm_for(server))
    joined, final = split(list(predict.stream(question="q")))
    assert joined == {"answer": "42"} and final.answer == 42

    async def collect():
        return [item async for item in predict.astream(question="q")]

    items = asyncio.run(collect())
    assert items[0][::2] == ("answer", "self") and items[-1].answer == 42


def test_litellms_route_asks_for_usage_only_while_tracking(server):
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native",
                                   lm=lm_for(server, "openai/local", engine="litellm"))
    list(predict.stream(question="q"))
    with dspex.track_usage() as tracker:
        list(predict.stream(question="q"))
    bodies = [r["body"] for r in server.chat_requests]
    assert bodies[0]["stream"] is True and "stream_options" not in bodies[0]
    assert bodies[1]["stream_options"] == {"include_usage": True}
    assert tracker.total_tokens > 0


def test_json_adapter_replies_stream(server):
    server.responder = json.dumps({"reasoning": "r \"quoted\"", "answer": "a\nb"})
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", adapter="json",
                                   lm=lm_for(server))
    joined, final = split(list(predict.stream(question="q")))
    assert joined == {"reasoning": 'r "quoted"', "answer": "a\nb"} == dict(final)


def test_an_unparseable_streamed_chat_reply_fails_and_from_the_cache_is_asked_again_in_json(server):
    # dspy 3.4 asks again in JSON only when its stream gave nothing out: a cache hit, which comes whole
    replies = iter(["no markers at all", json.dumps({"answer": "json answer"})])
    server.responder = lambda messages, **settings: next(replies)
    predict = dspex.Predict.create("question -> answer", implementation="native", lm=lm_for(server, cache=True))
    with pytest.raises(AdapterParseError, match="no markers at all"):
        list(predict.stream(question="q"))
    assert len(server.chat_requests) == 1
    joined, final = split(list(predict.stream(question="q")))
    assert joined == {"answer": "json answer"} and final.answer == "json answer"
    assert [r["body"]["stream"] for r in server.chat_requests] == [True, True]


def test_a_cache_hit_streams_nothing(server):
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native",
                                   lm=lm_for(server, cache=True))
    first = list(predict.stream(question="cached?"))
    again = list(predict.stream(question="cached?"))
    assert len(first) > 1 and again == [first[-1]] and again[0].get_lm_usage() == {}
    assert len(server.chat_requests) == 1


def test_a_failure_before_the_first_piece_is_retried(server):
    server.inject(after_chunks=0).inject(stream_error="overloaded").inject(status=503)
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", lm=lm_for(server))
    joined, _ = split(list(predict.stream(question="q")))
    assert joined == {"reasoning": "think a bit", "answer": "hello world"}
    assert [r["fault"] for r in server.chat_requests] == ["stream_drop", "stream_error", "503", None]


@pytest.mark.parametrize("fault", [{"after_chunks": 7}, {"after_chunks": 7, "stream_error": "model crashed"}])
def test_a_failure_mid_stream_raises_with_the_partial_text(server, fault):
    server.inject(**fault)
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", lm=lm_for(server))
    received = []
    with pytest.raises(LMError, match="mid-stream") as info:
        for item in predict.stream(question="q"):
            received.append(item)
    assert info.value.partial == REPLY[:35]
    assert "".join(c.text for c in received) == "think a bit"
    assert len(server.chat_requests) == 1  # never retried once text was handed on
    if "stream_error" in fault:
        assert "model crashed" in str(info.value)


def test_leaving_a_stream_early_closes_it(server):
    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", lm=lm_for(server))
    items = predict.stream(question="q")
    assert isinstance(next(items), StreamChunk)
    items.close()
    assert split(list(predict.stream(question="q")))[1].answer == "hello world"


def test_callbacks_fire_around_the_stream(server):
    events = []

    class Listener:
        def on_module_start(self, call_id, instance, inputs):
            events.append("module_start")

        def on_module_end(self, call_id, outputs, exception):
            events.append(("module_end", type(outputs).__name__))

        def on_lm_start(self, call_id, instance, inputs):
            events.append("lm_start")

        def on_lm_end(self, call_id, outputs, exception):
            events.append(("lm_end", outputs))

    predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", lm=lm_for(server))
    with dspex.context(callbacks=[Listener()]):
        items = list(predict.stream(question="q"))
    assert events == ["module_start", "lm_start", ("lm_end", [REPLY]), ("module_end", "Prediction")]
    assert len(items) > 1


def test_a_custom_lm_yields_the_final_prediction_only():
    predict = dspex.Predict.create("question -> answer", implementation="native",
                                   lm=RecordingLM("[[ ## answer ## ]]\nfine"))
    assert list(predict.stream(question="q")) == [Prediction(answer="fine")]


@pytest.mark.parametrize("engine", ["auto", "litellm"])
def test_n_completions_stream_the_first_and_return_all(engine):
    """dspy's own engine: one streamed request per completion, the first one's text streamed;
    LiteLLM's route: one request with n, the first choice streamed, the others kept."""
    replies = iter(range(100))
    with LocalLMServer(lambda messages, settings: [f"[[ ## answer ## ]]\nreply {next(replies)}"] *
                       (settings.get("n") or 1), stream_chunk_size=4) as server:
        lm = lm_for(server, **({"engine": "litellm"} if engine == "litellm" else {}))
        predict = dspex.Predict.create("question -> answer", implementation="native", lm=lm)
        *chunks, final = list(predict.stream(question="q", config={"n": 3}))
        bodies = [r["body"] for r in server.chat_requests]
    first = "reply 0"
    assert "".join(c.text for c in chunks) == first and final.answer == first
    if engine == "auto":
        assert [b.get("n") for b in bodies] == [None] * 3 and [c.answer for c in final.completions] == \
            ["reply 0", "reply 1", "reply 2"]
    else:
        assert [b.get("n") for b in bodies] == [3] and [c.answer for c in final.completions] == [first] * 3
    clear_clients()


def test_a_streamed_lm_call_is_bounded_by_the_streaming_profile(server):
    client = get_client(lm_for(server))
    messages = [{"role": "user", "content": "x"}]
    with dspex.context(timeout_profiles={"streaming": 12.5}):
        assert LMStream(client, messages, {}).timeout == 12.5
    assert LMStream(client, messages, {"timeout": 3}).timeout == 3


def test_react_streams_each_step_then_the_extraction(server):
    steps = iter(["[[ ## next_thought ## ]]\nadd them\n\n[[ ## next_tool_name ## ]]\nadd\n\n"
                  "[[ ## next_tool_args ## ]]\n{\"a\": 1, \"b\": 2}\n\n[[ ## completed ## ]]",
                  "[[ ## next_thought ## ]]\ndone\n\n[[ ## next_tool_name ## ]]\nfinish\n\n"
                  "[[ ## next_tool_args ## ]]\n{}\n\n[[ ## completed ## ]]",
                  "[[ ## reasoning ## ]]\n1 + 2\n\n[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]"] * 2)
    server.responder = lambda messages, **settings: next(steps)

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    react = dspex.ReAct.create("question -> answer", tools=[add], implementation="native", lm=lm_for(server))
    items = list(react.stream(question="1 + 2?"))
    names = [(c.predict_name, c.field) for c in items[:-1]]
    assert sorted(set(names), key=names.index) == [
        ("react", "next_thought"), ("react", "next_tool_name"), ("react", "next_tool_args"),
        ("extract.predict", "reasoning"), ("extract.predict", "answer")]
    thoughts = "".join(c.text for c in items[:-1] if c.field == "next_thought")
    assert thoughts == "add themdone"  # two steps, each streamed
    streamed_bodies = [r["body"] for r in server.chat_requests]
    assert items[-1] == react(question="1 + 2?")
    plain_bodies = [r["body"] for r in server.chat_requests[3:]]
    assert streamed_bodies == [{**b, "stream": True, "stream_options": {"include_usage": True}} for b in plain_bodies]
    assert items[-1].trajectory["observation_0"] == 3


# -- Anthropic's and Gemini's own wires ----------------------------------------------------------------

WIRE_MODELS = {"anthropic": "anthropic/claude-sonnet-4-5", "gemini": "gemini/gemini-2.5-flash"}


@pytest.mark.parametrize("shape", sorted(WIRE_MODELS))
def test_a_providers_own_wire_streams_retries_before_the_first_piece_and_keeps_the_partial_after(shape):
    from dspex_core.testing.provider_server import ProviderServer

    with ProviderServer(shape, stream_chunk_size=5) as server:
        lm = dspex.LM(WIRE_MODELS[shape], api_base=server.url, num_retries=2, **FAST)
        predict = dspex.Predict.create("question -> reasoning, answer", implementation="native", lm=lm)
        server.load([REPLY])
        server.fail(529 if shape == "anthropic" else 503)
        *chunks, final = list(predict.stream(question="q"))
        assert final == Prediction(reasoning="think a bit", answer="hello world")
        assert "".join(c.text for c in chunks) == "think a bithello world" and len(chunks) > 2
        assert len(server.requests) == 2  # the error status was retried
        if shape == "gemini":
            assert [r["path"].rsplit(":", 1)[1] for r in server.requests] == ["streamGenerateContent"] * 2
            assert {r["query"] for r in server.requests} == {"alt=sse"}
        else:
            assert all(r["body"]["stream"] is True for r in server.requests)

        # an error event after text was handed on: raised at once with the text received, not retried
        text = [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": REPLY[:30]}},
                {"type": "error", "error": {"type": "api_error", "message": "model crashed"}}] \
            if shape == "anthropic" else [{"candidates": [{"content": {"parts": [{"text": REPLY[:30]}]}}]},
                                          {"error": {"code": 500, "message": "model crashed"}}]
        server.load([text])
        with pytest.raises(LMError, match="mid-stream") as info:
            list(predict.stream(question="q"))
        assert info.value.partial == REPLY[:30] and "model crashed" in str(info.value)
        assert len(server.requests) == 1
    clear_clients()
