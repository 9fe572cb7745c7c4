"""``anthropic/...`` on LiteLLM's route (``engine="litellm"``): native against plain dspy on one local
fake of Anthropic's Messages API (``dspex_core.testing.provider_server``). Hypothesis draws the
model (LiteLLM's Anthropic models and others), the settings (those LiteLLM writes: temperature above Anthropic's ceiling, ``stop`` as a
string or a list, ``top_p``, ``top_k``, ``max_tokens``; and those it refuses for Anthropic:
``seed``, penalties, ``n`` above 1), a demo and the replies; per run the test asserts the same
requests (path, headers, whole JSON bodies), as many, and equal predictions or the same refusal."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _litellm_route_runs import assert_same_runs
from dspex_core import Signature
from dspex_core.testing.provider_server import ProviderServer

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-anthropic-litellm-0123456789"
SIG = Signature("question -> answer")
HEADERS = ("anthropic-version", "content-type", "x-api-key")
MODELS = ("anthropic/claude-3-5-sonnet-20241022", "anthropic/claude-3-haiku-20240307", "anthropic/claude-sonnet-4-5",
          "anthropic/claude-opus-4-1", "anthropic/claude-unknown-9")


def _litellm_models() -> list[str]:
    """Every Anthropic chat model of LiteLLM's map (its per-model rules: limits, refused settings)."""
    import litellm

    return sorted("anthropic/" + key.removeprefix("anthropic/") for key, entry in litellm.model_cost.items()
                  if isinstance(entry, dict) and entry.get("litellm_provider") == "anthropic"
                  and entry.get("mode") == "chat")
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
LM_SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.3, 1.0, 1.5]), "max_tokens": st.sampled_from([64, 1000]),
    "top_p": st.sampled_from([0.5, 1.0]), "top_k": st.integers(1, 50),
    "stop": st.one_of(st.sampled_from(["\n\n", "###"]), st.lists(st.sampled_from(["END", "\n\n"]), min_size=1,
                                                                  max_size=2, unique=True)),
    "seed": st.integers(0, 9), "presence_penalty": st.sampled_from([0.0, 0.5])})
CALL_SETTINGS = st.fixed_dictionaries({}, optional={"n": st.integers(1, 2), "temperature": st.sampled_from([0.2, 1.0])})


def _reply(answer: str) -> str:
    return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


@pytest.fixture(scope="module")
def server():
    with ProviderServer("anthropic") as srv:
        yield srv


def assert_same_run(server, case) -> list[dict]:
    return assert_same_runs(server, case, [_reply(a) for a in case["answers"]], SIG, KEY, HEADERS)


@st.composite
def cases(draw) -> dict:
    call = draw(CALL_SETTINGS)
    demos = draw(st.lists(st.fixed_dictionaries({"question": TEXT, "answer": TEXT}), max_size=1))
    model = draw(st.one_of(st.sampled_from(MODELS), st.sampled_from(_litellm_models())))
    return {"model": model, "lm_settings": draw(LM_SETTINGS), "call": call, "demos": demos,
            "question": draw(TEXT), "answers": draw(st.lists(TEXT, min_size=1, max_size=1))}


@settings(max_examples=12, deadline=None)
@given(cases())
def test_native_writes_litellms_anthropic_requests_as_dspy_does(server, case):
    assert_same_run(server, case)


def test_the_messages_request_as_litellm_writes_it(server):
    case = {"model": "anthropic/claude-3-5-sonnet-20241022", "lm_settings": {"temperature": 1.5, "stop": "\n\n"},
            "call": {}, "demos": [{"question": "dq", "answer": "da"}], "question": "q", "answers": ["a"]}
    (sent,) = assert_same_run(server, case)
    assert sent["path"] == "/v1/messages"
    body = sent["body"]
    assert body["max_tokens"] == 128000 and body["temperature"] == 1.5 and "stream" not in body
    assert body["stop_sequences"] == ["\n\n"]
    assert body["system"][0]["text"].startswith("Your input fields are:")
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


@pytest.mark.parametrize("settings_", [{"seed": 3}, {"presence_penalty": 0.5}])
def test_settings_litellm_refuses_for_anthropic_are_refused_before_sending(server, settings_):
    case = {"model": "anthropic/claude-opus-4-1", "lm_settings": settings_, "call": {}, "demos": [],
            "question": "q", "answers": ["a"]}
    assert assert_same_run(server, case) == []
