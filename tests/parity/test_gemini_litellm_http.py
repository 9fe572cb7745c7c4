"""``gemini/...`` on LiteLLM's route (``engine="litellm"``): native against plain dspy on one local
fake of Gemini's GenerateContent API (``dspex_core.testing.provider_server``). Hypothesis draws the
model (LiteLLM's Gemini chat models, with and without system-message support, Gemini 3 and older,
those without sampling settings, and unknown names), the settings (those LiteLLM writes:
``temperature``, ``top_p``, ``top_k``, ``stop`` as a string or a list, ``max_tokens``, ``seed``, the
penalties, ``n`` as ``candidate_count``), a demo and the replies; per run the test asserts the same
requests (path, headers, whole JSON bodies), as many, and equal predictions or the same refusal."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from _litellm_route_runs import assert_same_runs
from dspex_core import Signature
from dspex_core.testing.provider_server import ProviderServer, reply_body
from dspex_native.modules.predict import implementation as predict

warnings.filterwarnings("ignore", module="dspy")

KEY = "test-gemini-litellm-0123456789"
SIG = Signature("question -> answer")
HEADERS = ("content-type", "x-goog-api-key")
MODELS = ("gemini/gemini-2.0-flash", "gemini/gemini-2.5-flash", "gemini/gemini-2.5-pro-preview-06-05",
          "gemini/gemini-3-pro-preview", "gemini/gemini-3.6-flash", "gemini/gemma-3-27b-it", "gemini/unknown-9")
#: names LiteLLM's map does not have: its name rules decide (system messages, Gemini 3+, penalties)
UNKNOWN = st.builds("gemini/gemini-{}{}-{}{}".format, st.sampled_from(["2", "2.5", "2.7", "3", "3.9", "4"]),
                    st.sampled_from(["", ".1"]), st.sampled_from(["pro", "flash", "flash-lite", "ultra"]),
                    st.sampled_from(["", "-preview-01-01", "-001", "-tts", "-latest"]))


def _litellm_models() -> list[str]:
    """Every Gemini chat model of LiteLLM's map (its per-model rules: system messages, sampling, penalties)."""
    import litellm

    return sorted("gemini/" + key.removeprefix("gemini/") for key, entry in litellm.model_cost.items()
                  if isinstance(entry, dict) and entry.get("litellm_provider") == "gemini"
                  and entry.get("mode") == "chat")


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
LM_SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.3, 1.0, 1.5]), "max_tokens": st.sampled_from([64, 1000]),
    "top_p": st.sampled_from([0.5, 1.0]), "top_k": st.integers(1, 50),
    "stop": st.one_of(st.sampled_from(["\n\n", "###"]), st.lists(st.sampled_from(["END", "\n\n"]), min_size=1,
                                                                  max_size=2, unique=True)),
    "seed": st.integers(0, 9), "presence_penalty": st.sampled_from([0.0, 0.5]),
    "frequency_penalty": st.sampled_from([0.1])})
CALL_SETTINGS = st.fixed_dictionaries({}, optional={"n": st.integers(1, 2), "temperature": st.sampled_from([0.2, 1.0])})


def _reply(answers: list[str]) -> dict:
    """One GenerateContent answer with a candidate per answer (``n`` is ``candidate_count``: one request)."""
    body = reply_body("gemini", "")
    body["candidates"] = [{"content": {"role": "model", "parts": [{"text": f"[[ ## answer ## ]]\n{a}\n\n"
                                                                            "[[ ## completed ## ]]"}]},
                           "finishReason": "STOP", "index": i} for i, a in enumerate(answers)]
    return body


@pytest.fixture(scope="module")
def server():
    with ProviderServer("gemini") as srv:
        yield srv


def assert_same_run(server, case) -> list[dict]:
    return assert_same_runs(server, case, [_reply(case["answers"])], SIG, KEY, HEADERS)


@st.composite
def cases(draw) -> dict:
    call = draw(CALL_SETTINGS)
    demos = draw(st.lists(st.fixed_dictionaries({"question": TEXT, "answer": TEXT}), max_size=1))
    model = draw(st.one_of(st.sampled_from(MODELS), st.sampled_from(_litellm_models()), UNKNOWN))
    return {"model": model, "lm_settings": draw(LM_SETTINGS), "call": call, "demos": demos,
            "question": draw(TEXT), "answers": draw(st.lists(TEXT, min_size=call.get("n", 1),
                                                             max_size=call.get("n", 1)))}


@settings(max_examples=15, deadline=None)
@given(cases())
def test_native_writes_litellms_gemini_requests_as_dspy_does(server, case):
    assert_same_run(server, case)


@pytest.mark.parametrize("model, system", [("gemini/gemini-2.0-flash", False), ("gemini/gemini-2.5-flash", True)])
def test_the_generate_content_request_as_litellm_writes_it(server, model, system):
    case = {"model": model, "lm_settings": {"temperature": 0.3, "stop": "###", "max_tokens": 100},
            "call": {"n": 2}, "demos": [{"question": "dq", "answer": "da"}], "question": "q", "answers": ["a", "b"]}
    (sent,) = assert_same_run(server, case)  # n=2 is one request with candidate_count, read as two completions
    assert sent["path"] == f"/models/{model.removeprefix('gemini/')}:generateContent"
    body = sent["body"]
    assert body["generationConfig"] == {"temperature": 0.3, "candidate_count": 2, "stop_sequences": ["###"],
                                        "max_output_tokens": 100}
    assert [turn["role"] for turn in body["contents"]] == ["user", "model", "user"]
    first = body["contents"][0]["parts"]
    if system:  # the map says the model takes system messages: system_instruction
        assert body["system_instruction"]["parts"][0]["text"].startswith("Your input fields are:")
        assert len(first) == 1
    else:  # the system message folded into the first user turn
        assert "system_instruction" not in body and first[0]["text"].startswith("Your input fields are:")
        assert len(first) == 2


@pytest.mark.parametrize("settings_", [{"temperature": 0.5}, {"top_k": 3}])
def test_sampling_settings_litellm_refuses_are_refused_before_sending(server, settings_):
    case = {"model": "gemini/gemini-3.6-flash", "lm_settings": settings_, "call": {}, "demos": [],
            "question": "q", "answers": ["a"]}
    assert assert_same_run(server, case) == []


def test_gemini_api_base_sends_both_litellms_way_to_it(server, monkeypatch):
    """``GEMINI_API_BASE`` (no ``api_base=``): dspy goes LiteLLM's way under ``"auto"``, and posts there."""
    monkeypatch.setenv("GEMINI_API_BASE", server.url)
    runs = []
    for native in (True, False):
        server.load([_reply(["a"])])
        make = dspex.LM if native else dspy.LM
        lm = make("gemini/gemini-2.5-flash", api_key=KEY, cache=False, num_retries=0)
        if native:
            pred = predict.execute(predict.create(SIG), {"question": "q"}, lm=lm, config={})
        else:
            with dspy.context(lm=lm):
                pred = dspy.Predict(to_dspy_signature(SIG))(question="q")
        runs.append((pred.answer, server.requests))
    (mine, native_requests), (theirs, reference_requests) = runs
    assert mine == theirs == "a"
    assert [(r["path"], r["body"]) for r in native_requests] == [(r["path"], r["body"]) for r in reference_requests]
    assert "system_instruction" in native_requests[0]["body"]  # LiteLLM's body, not lm15's systemInstruction


NAMES = st.one_of(UNKNOWN.map(lambda m: m.removeprefix("gemini/")), st.sampled_from([m.removeprefix("gemini/")
                                                                                     for m in _litellm_models()]),
                  st.sampled_from(["gemma-3-27b-it", "1234567", "gemini-exp-1206", "gemini-pro-latest", "x"]))


@settings(max_examples=60, deadline=None)
@given(NAMES)
def test_litellms_rules_by_model_name(name):
    """Its default URL (v1alpha for Gemini 3 and newer) and whether it sends ``system_instruction``."""
    from litellm.llms.vertex_ai.common_utils import get_gemini_url, get_supports_system_message

    from dspex_native.lm import wire_gemini, wire_gemini_litellm as wire

    expected_url, _ = get_gemini_url("chat", name, False)
    assert wire.url(wire.base_url(wire_gemini.DEFAULT_BASE, name), name) == expected_url
    assert wire.takes_system_messages(name) == get_supports_system_message(name, "gemini")
