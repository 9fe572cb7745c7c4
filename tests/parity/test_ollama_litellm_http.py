"""``ollama_chat/...`` and ``ollama/...`` on LiteLLM's route (``engine="litellm"``, or
``OLLAMA_API_BASE`` under ``"auto"``): native against plain dspy on one local fake of Ollama's own
API (``dspex_core.testing.provider_server``, ``/api/chat`` and ``/api/generate``). Hypothesis draws
the prefix and model, the settings (those LiteLLM maps into ``options``, Ollama's own options,
``keep_alive``, ``think``, ``reasoning_effort``; those it refuses, ``presence_penalty`` and ``n``
above 1, in a test of their own), a demo and the replies (some with a leading think block); per run the test asserts the
same requests (path, headers, whole JSON bodies, key order included), as many, and equal
predictions or the same refusal."""

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
from _litellm_route_runs import run
from dspex_core import Signature
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.modules.predict import implementation as predict

warnings.filterwarnings("ignore", module="dspy")

KEY = "test-ollama-litellm-0123456789"
SIG = Signature("question -> answer")
HEADERS = ("content-type", "authorization")
MODELS = st.builds("{}/{}".format, st.sampled_from(["ollama_chat", "ollama"]),
                   st.sampled_from(["llama3.2", "qwen2.5:7b", "gpt-oss:20b", "deepseek-r1"]))
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
LM_SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.3, 1.0]), "max_tokens": st.sampled_from([64, 1000]),
    "max_completion_tokens": st.just(32), "top_p": st.sampled_from([0.5, 1.0]), "top_k": st.integers(1, 50),
    "stop": st.one_of(st.sampled_from(["\n\n", "###"]), st.lists(st.sampled_from(["END", "\n\n"]), min_size=1,
                                                                  max_size=2, unique=True)),
    "seed": st.integers(0, 9), "frequency_penalty": st.sampled_from([0.1, 1.2]), "num_ctx": st.just(4096),
    "mirostat": st.just(1), "keep_alive": st.sampled_from(["5m", 0]), "think": st.booleans(),
    "reasoning_effort": st.sampled_from(["low", "none", "high"])})
CALL_SETTINGS = st.fixed_dictionaries({}, optional={"n": st.just(1), "temperature": st.sampled_from([0.2, 1.0]),
                                                    "num_predict": st.just(20)})


@pytest.fixture(scope="module")
def server():
    with ProviderServer("ollama") as srv:
        yield srv


def assert_same_runs(server, case: dict, replies: list, *_: object) -> list[dict]:
    """Both sides' runs of ``case`` alike (``_litellm_route_runs``'s comparison, but the bodies as
    the bytes' JSON text: LiteLLM's key order too); returns native's requests."""
    native, native_requests = run(server, case, True, replies, SIG, KEY)
    reference, reference_requests = run(server, case, False, replies, SIG, KEY)
    assert len(native_requests) == len(reference_requests)
    for mine, theirs in zip(native_requests, reference_requests):
        assert (mine["method"], mine["path"], mine["query"]) == (theirs["method"], theirs["path"], theirs["query"])
        assert json.dumps(mine["body"]) == json.dumps(theirs["body"])
        for name in HEADERS:
            assert mine["headers"].get(name) == theirs["headers"].get(name), name
    assert native == reference
    return native_requests


def _answer(text: str, think: str | None = None) -> str:
    lead = f"<think>{think}</think>" if think is not None else ""
    return f"{lead}[[ ## answer ## ]]\n{text}\n\n[[ ## completed ## ]]"


@st.composite
def cases(draw) -> dict:
    call = draw(CALL_SETTINGS)
    demos = draw(st.lists(st.fixed_dictionaries({"question": TEXT, "answer": TEXT}), max_size=1))
    return {"model": draw(MODELS), "lm_settings": draw(LM_SETTINGS), "call": call, "demos": demos,
            "question": draw(TEXT), "answer": draw(TEXT), "think": draw(st.none() | TEXT)}


@settings(max_examples=20, deadline=None)
@given(cases())
def test_native_writes_litellms_ollama_requests_as_dspy_does(server, case):
    sent = assert_same_runs(server, case, [_answer(case["answer"], case["think"])])
    for request in sent:
        assert request["path"] == ("/api/chat" if case["model"].startswith("ollama_chat/") else "/api/generate")


@pytest.mark.parametrize("model", ["ollama_chat/llama3.2", "ollama/llama3.2"])
@pytest.mark.parametrize("lm_settings, call", [({"presence_penalty": 0.5}, {}), ({}, {"n": 2})])
def test_settings_litellm_refuses_for_ollama_are_refused_before_sending(server, model, lm_settings, call):
    case = {"model": model, "lm_settings": lm_settings, "call": call, "demos": [], "question": "q"}
    assert assert_same_runs(server, case, [_answer("a")] * 2) == []


def test_the_chat_and_generate_requests_as_litellm_writes_them(server):
    case = {"model": "ollama_chat/llama3.2", "call": {}, "demos": [{"question": "dq", "answer": "da"}],
            "question": "q", "lm_settings": {"top_k": 5, "stop": "###", "max_tokens": 100, "temperature": 0.3,
                                             "frequency_penalty": 1.1, "keep_alive": "1m"}}
    (chat,) = assert_same_runs(server, case, [_answer("a", "hmm")])
    body = chat["body"]
    assert list(body) == ["model", "messages", "options", "stream", "keep_alive"]
    assert list(body["options"].items()) == [("temperature", 0.3), ("stop", "###"), ("num_predict", 100),
                                             ("repeat_penalty", 1.1), ("top_k", 5)]
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert all(m["images"] == [] for m in body["messages"])
    assert chat["headers"]["authorization"] == f"Bearer {KEY}"
    (generate,) = assert_same_runs(server, {**case, "model": "ollama/llama3.2"}, [_answer("a")])
    body = generate["body"]
    assert list(body) == ["model", "prompt", "options", "stream", "images"]
    assert body["options"]["frequency_penalty"] == 1.1 and body["options"]["keep_alive"] == "1m"
    assert body["prompt"].startswith("### System:\nYour input fields are:")
    assert "\n\n### User:\n[[ ## question ## ]]\ndq\n\n### Assistant:\n[[ ## answer ## ]]\nda" in body["prompt"]


@pytest.mark.parametrize("model", ["ollama_chat/llama3.2", "ollama/llama3.2"])
def test_ollama_api_base_sends_both_litellms_way_to_it(server, monkeypatch, model):
    """``OLLAMA_API_BASE`` (no ``api_base=``): dspy goes LiteLLM's way for ``ollama/`` under ``"auto"``
    and posts there; ``ollama_chat/`` with ``engine="litellm"`` posts there too."""
    monkeypatch.setenv("OLLAMA_API_BASE", server.url)
    extra = {"engine": "litellm"} if model.startswith("ollama_chat/") else {}
    runs = []
    for native in (True, False):
        server.load([_answer("a")])
        make = dspex.LM if native else dspy.LM
        lm = make(model, cache=False, num_retries=0, **extra)
        if native:
            pred = predict.execute(predict.create(SIG), {"question": "q"}, lm=lm, config={})
        else:
            with dspy.context(lm=lm):
                pred = dspy.Predict(to_dspy_signature(SIG))(question="q")
        runs.append((pred.answer, server.requests))
    (mine, native_requests), (theirs, reference_requests) = runs
    assert mine == theirs == "a"
    assert [(r["path"], r["body"]) for r in native_requests] == [(r["path"], r["body"]) for r in reference_requests]
    assert len(native_requests) == 1


@pytest.mark.parametrize("model", ["ollama_chat/llama3.2", "ollama/llama3.2"])
@pytest.mark.parametrize("reply", ['{"answer": "a"}', '```json\n{"answer":"é"}\n```', "[[ ## answer ## ]]\na"])
def test_json_adapter_sends_format_json(server, model, reply):
    """dspy's JSONAdapter asks for a JSON object: ``format: "json"``; on ``/api/generate`` LiteLLM
    writes a JSON reply again (``json.dumps``, a code fence taken off), which the history shows."""
    runs = []
    for native in (True, False):
        server.load([reply])
        make = dspex.LM if native else dspy.LM
        lm = make(model, engine="litellm", api_base=server.url, cache=False, num_retries=0)
        try:
            if native:
                pred = predict.execute(predict.create(SIG, adapter="json"), {"question": "q"}, lm=lm, config={})
                outputs = dspex.history(1)[0]["outputs"]
            else:
                with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
                    pred = dspy.Predict(to_dspy_signature(SIG))(question="q")
                outputs = lm.history[-1]["outputs"]
            runs.append(((pred.answer, outputs), server.requests))
        except Exception as exc:  # noqa: BLE001 - a reply neither side parses: the same error
            runs.append((type(exc).__name__, server.requests))
    (mine, native_requests), (theirs, reference_requests) = runs
    assert mine == theirs
    assert [json.dumps(r["body"]) for r in native_requests] == [json.dumps(r["body"]) for r in reference_requests]
    assert native_requests[0]["body"]["format"] == "json"


ROLES = st.sampled_from(["system", "user", "assistant", "tool"])
PARTS = st.one_of(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT | st.just("")}),
                  st.fixed_dictionaries({"type": st.just("image_url"), "image_url": st.sampled_from(
                      [{"url": "data:image/png;base64,iVBORw0KGgo="}, "https://example.com/a.png"])}))
CONTENT = st.one_of(TEXT, st.just(""), st.lists(PARTS, max_size=3))
MESSAGES = st.lists(st.fixed_dictionaries({"role": ROLES, "content": CONTENT}), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(MESSAGES)
def test_messages_as_litellms_ollama_clients_write_them(messages):
    """``/api/generate``'s prompt and image URLs (LiteLLM's ``ollama_pt``) and ``/api/chat``'s messages
    (its ``OllamaChatConfig.transform_request``), for runs of every role and content as a string or
    text and image parts."""
    from litellm.litellm_core_utils.prompt_templates.factory import ollama_pt
    from litellm.llms.ollama.chat.transformation import OllamaChatConfig

    from dspex_native.lm import ollama_prompt, wire_ollama_litellm as wire

    theirs = ollama_pt("m", messages)
    assert ollama_prompt.prompt(messages) == (theirs["prompt"], theirs["images"])
    theirs = OllamaChatConfig().transform_request("m", messages, {}, {}, {})["messages"]
    assert json.dumps(wire.CHAT.body({"model": "m", "messages": messages})["messages"]) == json.dumps(theirs)


class Picture(dspex.Signature):
    """Describe the picture."""

    picture: dspex.Image = dspex.InputField()
    answer: str = dspex.OutputField()


@pytest.mark.parametrize("model, url", [("ollama_chat/llava", "https://example.com/cat.png"),
                                        ("ollama_chat/llava", "data:image/png;base64,iVBORw0KGgo="),
                                        ("ollama/llava", "data:image/png;base64,iVBORw0KGgo=")])
def test_image_inputs_as_litellm_sends_them(server, model, url):
    """An Image input: its URL (a data URL's base64 data alone) in the message's ``images`` on
    ``/api/chat``, beside the prompt on ``/api/generate`` (where LiteLLM would download an http URL)."""
    sig = Picture
    sides = []
    for native in (True, False):
        server.load([_answer("a cat")])
        make = dspex.LM if native else dspy.LM
        lm = make(model, engine="litellm", api_base=server.url, cache=False, num_retries=0)
        if native:
            pred = predict.execute(predict.create(sig), {"picture": dspex.Image(url)}, lm=lm, config={})
        else:
            with dspy.context(lm=lm):
                pred = dspy.Predict(to_dspy_signature(sig))(picture=dspy.Image(url=url))
        sides.append((pred.answer, [json.dumps(r["body"]) for r in server.requests]))
    assert sides[0] == sides[1]
    assert ("iVBORw0KGgo=" if url.startswith("data:") else url) in sides[0][1][0]
