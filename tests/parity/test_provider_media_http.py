"""Parity over HTTP for media inputs (images, files, audio) on the providers with a wire format of
their own: native ``predict`` through ``dspex.LM`` against plain ``dspy.Predict`` through
``dspy.LM`` with its default engine (lm15), on a local fake of Anthropic's Messages API and of
Gemini's GenerateContent.

Hypothesis draws the model, the adapter (chat, json), an image field or a list of images, the
images (URLs with and without a known image extension, query strings, data URIs of several media
types) and a demo with its own image now and then. Per case: the same request (path, whole JSON
body: Anthropic's ``image`` blocks with a ``url`` or ``base64`` source, Gemini's ``fileData`` and
``inlineData`` parts with lm15's media types) and equal predictions. ``dspy.File`` (a data URI or
a file id) and ``dspy.Audio`` (wav, mp3) inputs are compared the same way. An image in a system message
is not written natively (lm15 takes images in user messages only).
"""

from __future__ import annotations

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
from dspex_core.testing.provider_server import ProviderServer

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-provider-images-0123456789"
MODELS = {"anthropic": ["anthropic/claude-sonnet-4-5", "anthropic/claude-3-5-haiku-20241022"],
          "gemini": ["gemini/gemini-2.5-flash", "gemini/gemini-2.0-flash"]}
URLS = st.builds(lambda host, name, ext, query: f"https://{host}/{name}{ext}{query}",
                 st.sampled_from(["example.com", "img.example.org:8080"]), st.sampled_from(["cat", "a/b/pic", "x-1"]),
                 st.sampled_from(["", ".png", ".jpg", ".JPEG", ".gif", ".webp", ".svg", ".bmp", ".txt", ".pdf"]),
                 st.sampled_from(["", "?size=2", "#frag"]))
DATA_URIS = st.builds(lambda kind, payload: f"data:{kind};base64,{payload}",
                      st.sampled_from(["image/png", "image/jpeg", "image/webp", "image/gif"]),
                      st.sampled_from(["iVBORw0KGgo=", "/9j/4AAQSkZJRg==", "UklGRg=="]))
IMAGES = st.one_of(URLS, DATA_URIS)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def servers():
    with ProviderServer("anthropic") as anthropic, ProviderServer("gemini") as gemini:
        yield {"anthropic": anthropic, "gemini": gemini}


@st.composite
def cases(draw) -> dict[str, Any]:
    shape = draw(st.sampled_from(sorted(MODELS)))
    many = draw(st.booleans())
    spec = "question, pictures: list[Image] -> answer" if many else "question, picture: Image -> answer"
    images = draw(st.lists(IMAGES, min_size=1, max_size=3)) if many else draw(IMAGES)
    demo = None
    if draw(st.booleans()):
        demo = {"question": draw(TEXT), "answer": draw(TEXT),
                ("pictures" if many else "picture"): [draw(IMAGES)] if many else draw(IMAGES)}
    return dict(shape=shape, model=draw(st.sampled_from(MODELS[shape])), spec=spec, images=images, demo=demo,
                adapter=draw(st.sampled_from(["chat", "chat", "json"])), question=draw(TEXT), answer=draw(TEXT))


def _as(kind: Any, value: Any) -> Any:
    """An image URL (or a list of them) as ``kind``'s Image values."""
    return [kind(url=v) for v in value] if isinstance(value, list) else kind(url=value)


def _inputs(case: dict[str, Any], kind: Any) -> dict[str, Any]:
    name = "pictures" if "pictures" in case["spec"] else "picture"
    return {"question": case["question"], name: _as(kind, case["images"])}


def _demos(case: dict[str, Any], kind: Any, example: Any) -> list[Any]:
    if case["demo"] is None:
        return []
    return [example(**{k: _as(kind, v) if k.startswith("picture") else v for k, v in case["demo"].items()})]


def _reply(case: dict[str, Any]) -> str:
    if case["adapter"] == "json":
        return '{"answer": "%s"}' % case["answer"].replace("\\", "\\\\").replace('"', '\\"')
    return f"[[ ## answer ## ]]\n{case['answer']}\n\n[[ ## completed ## ]]"


def run_native(server: ProviderServer, case: dict[str, Any]) -> dict[str, Any]:
    sig = dspex.Signature(case["spec"], custom_types={"Image": dspex.Image})
    ref = dspex.create("predict", sig, implementation="native", adapter=case["adapter"],
                       demos=_demos(case, dspex.Image, dspex.Example))
    lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    return dict(ref(**_inputs(case, dspex.Image), lm=lm))


def run_dspy(server: ProviderServer, case: dict[str, Any]) -> dict[str, Any]:
    sig = dspex.Signature(case["spec"], custom_types={"Image": dspex.Image})
    program = dspy.Predict(to_dspy_signature(sig))
    program.demos = _demos(case, dspy.Image, dspy.Example)
    lm = dspy.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter() if case["adapter"] == "json" else None):
        pred = program(**_inputs(case, dspy.Image))
    return {k: pred[k] for k in pred.keys()}


@settings(max_examples=40, deadline=None)
@given(cases())
def test_image_inputs_are_written_to_each_wire_as_dspy_writes_them(servers, case):
    server = servers[case["shape"]]
    outcomes = []
    for run in (run_native, run_dspy):
        server.load([_reply(case)])
        outcomes.append((run(server, case), server.requests))
    (mine, (my_request,)), (theirs, (their_request,)) = outcomes
    assert my_request["path"] == their_request["path"]
    assert my_request["body"] == their_request["body"]
    assert mine == theirs
    turns = my_request["body"].get("messages") or my_request["body"]["contents"]
    blocks = [b for turn in turns for b in turn.get("content", turn.get("parts", []))]
    assert any(b.get("type") == "image" or "fileData" in b or "inlineData" in b for b in blocks)


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"])
def test_an_image_in_a_system_message_is_not_written_natively(servers, model):
    """lm15 takes images in user messages only; dspy then sends the call LiteLLM's way, which
    native does not write for these providers: a CapabilityError before anything is sent."""
    server = servers[model.split("/")[0]]
    messages = [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://e.com/a.png"}}]},
                {"role": "user", "content": "hi"}]
    lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    server.load(["x"])
    with pytest.raises(dspex.CapabilityError, match="images"):
        dspex.create("lm", lm=lm, implementation="native")(messages=messages)
    assert server.requests == []


FILES = [dspy.File(file_data="data:application/pdf;base64,JVBERi0x"), dspy.File(file_data="data:text/plain;base64,aGk="),
         dspy.File(file_id="file-123")]
AUDIO = [dspy.Audio(data="UklGRg==", audio_format="wav"), dspy.Audio(data="SUQz", audio_format="mp3")]


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"])
@pytest.mark.parametrize("kind, value", [("dspy.File", f) for f in FILES] + [("dspy.Audio", a) for a in AUDIO])
def test_files_and_audio_are_written_to_each_wire_as_dspy_writes_them(servers, model, kind, value):
    """A file as Anthropic's ``document`` block and Gemini's ``inlineData``/``fileData``; audio as
    Gemini's ``inlineData`` and, on Anthropic's wire, as the empty text block lm15 writes for it."""
    server = servers[model.split("/")[0]]
    sig = dspy.Signature(f"question, doc: {kind} -> answer")
    outcomes = []
    for run in ("native", "dspy"):
        server.load(["[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"])
        if run == "native":
            lm = dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
            pred = dict(dspex.create("predict", sig, implementation="native")(question="q", doc=value, lm=lm))
        else:
            with dspy.context(lm=dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)):
                pred = dict(dspy.Predict(sig)(question="q", doc=value))
        outcomes.append((pred, server.requests))
    (mine, (my_request,)), (theirs, (their_request,)) = outcomes
    assert (my_request["path"], my_request["body"]) == (their_request["path"], their_request["body"])
    assert mine == theirs == {"answer": "ok"}


def test_a_file_with_a_filename_is_not_written_natively(servers):
    """lm15 has no slot for a filename: dspy sends such a call LiteLLM's way, which native does not
    write for these providers (a CapabilityError before anything is sent)."""
    server = servers["anthropic"]
    sig = dspy.Signature("question, doc: dspy.File -> answer")
    lm = dspex.LM("anthropic/claude-sonnet-4-5", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    server.load(["x"])
    with pytest.raises(dspex.CapabilityError, match="file block"):
        dspex.create("predict", sig, implementation="native")(
            question="q", doc=dspy.File(file_data="data:application/pdf;base64,JVBERi0x", filename="a.pdf"), lm=lm)
    assert server.requests == []
