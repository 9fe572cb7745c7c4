"""Image input fields on native against dspy 3.4: ``dspex.Image`` (and ``dspy.Image``) values sent
as DSPy sends them, the user messages split into OpenAI content parts around each image
(``list[Image]`` and ``Optional[Image]`` fields, demos and History turns included), on the chat,
JSON and XML adapters; whole requests and predictions equal, over a recording LM and over HTTP."""

from __future__ import annotations

from typing import Optional

import dspy
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import assert_same_run, run_dspy, run_native
from _strategies_local import chat_replies, demos_for, inputs_for, json_replies, signatures
from _strategies_xml import xml_replies
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer

REPLIES = {"chat": chat_replies, "json": json_replies, "xml": xml_replies}
URLS = ["https://example.com/cat.png", "http://img.test/a%20b.jpg?x=1&y=2", "gs://bucket/dog.webp",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==",
        'data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg"/>']
IMAGES = st.sampled_from(URLS).map(dspex.Image)
TYPES = {"one": dspex.Image, "list": list[dspex.Image], "optional": Optional[dspex.Image]}


def image_value(draw, kind):
    if kind == "list":
        return draw(st.lists(IMAGES, max_size=3))
    if kind == "optional":
        return draw(st.one_of(st.none(), IMAGES))
    return draw(IMAGES)


@st.composite
def image_runs(draw):
    plain = draw(signatures(exclude=("image",)))
    kind = draw(st.sampled_from(sorted(TYPES)))
    inputs = list(plain.input_fields.items())
    inputs.insert(draw(st.integers(0, len(inputs))), ("image", Field("image", "input", TYPES[kind], None)))
    sig = Signature._make(dict(inputs), dict(plain.output_fields), plain.instructions)
    call_inputs = {**draw(inputs_for(plain, allow_missing=False)), "image": image_value(draw, kind)}
    demos = draw(demos_for(plain))
    for demo in demos:
        if draw(st.booleans()):
            demo["image"] = image_value(draw, kind)
    adapter = draw(st.sampled_from(["chat", "json", "xml"]))
    replies = [draw(REPLIES[adapter](plain)), draw(json_replies(plain))]
    return sig, dict(demos=demos, inputs=call_inputs, replies=replies, adapter=adapter)


@settings(max_examples=40)
@given(image_runs())
def test_image_runs_exactly_as_dspy(case):
    sig, kwargs = case
    assert_same_run(run_native(sig, **kwargs), run_dspy(sig, **kwargs))


class Describe(dspex.Signature):
    """Describe the picture."""

    question: str = dspex.InputField()
    picture: dspex.Image = dspex.InputField()
    history: dspex.History = dspex.InputField()
    answer: str = dspex.OutputField()


REPLY = "[[ ## answer ## ]]\nA cat.\n\n[[ ## completed ## ]]"
CAT = dspex.Image("https://example.com/cat.png")


def test_an_image_is_an_image_url_part_between_the_texts_around_it():
    inputs = {"question": "What is it?", "picture": CAT,
              "history": dspex.History([{"question": "And this?", "picture": dspex.Image(URLS[3]), "answer": "A dot."}])}
    native = run_native(Describe, inputs=inputs, replies=[REPLY])
    assert_same_run(native, run_dspy(Describe, inputs=inputs, replies=[REPLY]))
    request = native[1][0].messages[-1]["content"]
    assert request[0] == {"type": "text", "text": "[[ ## question ## ]]\nWhat is it?\n\n[[ ## picture ## ]]\n"}
    assert request[1] == {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    assert request[2]["text"].startswith("\n\nRespond with the corresponding output fields")
    assert native[1][0].messages[1]["content"][1] == {"type": "image_url", "image_url": {"url": URLS[3]}}


def test_native_takes_dspy_images_and_dspy_image_annotations():
    class DspyTyped(dspex.Signature):
        picture: dspy.Image = dspex.InputField()
        answer: str = dspex.OutputField()

    lm = RecordingLM([REPLY])
    dspex.create("predict", DspyTyped, implementation="native", lm=lm)(picture=dspy.Image(url=URLS[0]))
    reference = run_dspy(Signature._make({"picture": Field("picture", "input", dspex.Image, None)},
                                         dict(DspyTyped.output_fields), DspyTyped.instructions),
                         inputs={"picture": CAT}, replies=[REPLY])
    assert lm.calls[0].messages == reference[1][0].messages


def test_over_http_both_backends_send_the_same_body():
    bodies = {}
    for backend in ("native", "dspy"):
        with LocalLMServer(lambda messages, settings: [REPLY]) as server:
            lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
            ref = dspex.create("predict", Describe, implementation=backend, lm=lm)
            assert ref(question="What?", picture=CAT, history=dspex.History([])).answer == "A cat."
            bodies[backend] = [r["body"] for r in server.chat_requests]
    assert bodies["native"] == bodies["dspy"] and len(bodies["native"]) == 1
    assert {"type": "image_url", "image_url": {"url": CAT.url}} in bodies["native"][0]["messages"][-1]["content"]
