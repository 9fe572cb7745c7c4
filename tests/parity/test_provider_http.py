"""Parity over HTTP for the providers with a wire format of their own: native ``predict`` through
``dspex.LM`` against plain ``dspy.Predict`` through ``dspy.LM`` with its default engine, both on
one local fake of the provider's API (``dspex_core.testing.provider_server``).

- ``anthropic/...``: dspy's own engine (lm15) writes the Messages API (``POST /messages``);
- ``gemini/...``: lm15 writes GenerateContent (``POST /models/<model>:generateContent``);
- ``azure/<deployment>`` with ``api_base``: dspy sends it LiteLLM's way (the OpenAI body at
  ``/openai/deployments/<deployment>/chat/completions?api-version=...``);
- OpenAI-compatible gateways and Ollama with ``api_base`` (no ``/v1`` added): lm15's doors
  (openrouter, groq, deepseek, ollama, ollama_chat) or LiteLLM's route (together_ai, fireworks_ai,
  mistral), ``{api_base}/chat/completions`` either way.

Hypothesis draws the model, the LM's and the call's settings (temperature above Anthropic's
ceiling, ``stop`` as a string or a list, ``top_k``, ``seed``, penalties, ``n``), the input and
the replies; per run the test asserts the same requests (path, query, the provider's headers
with the key in its place, whole JSON bodies), as many of them, and equal predictions.
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
from _dspy_oracle import to_dspy_signature
from dspex_core import Signature
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.modules.predict import implementation as predict

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-provider-parity-0123456789"
SIG = Signature("question -> answer")
#: The headers each shape's requests must carry alike (the key's header holds KEY on both sides).
HEADERS = {"anthropic": ("anthropic-version", "content-type", "x-api-key"),
           "gemini": ("content-type", "x-goog-api-key"),
           "azure": ("content-type", "api-key"),
           "openai": ("content-type", "authorization")}
MODELS = {"anthropic": ["anthropic/claude-3-5-sonnet-20241022", "anthropic/claude-3-haiku-20240307",
                        "anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-1"],
          "gemini": ["gemini/gemini-2.0-flash", "gemini/gemini-2.5-pro"],
          "azure": ["azure/my-gpt-4o", "azure/prod-deployment"],
          "openai": ["openrouter/meta-llama/llama-3-8b", "groq/llama-3.1-8b", "deepseek/deepseek-chat",
                     "ollama_chat/llama3.2", "ollama/qwen2", "together_ai/meta/llama-3", "fireworks_ai/acct/m",
                     "mistral/mistral-small"]}

_STOP = st.one_of(st.sampled_from(["\n\n", "###"]), st.lists(st.sampled_from(["END", "\n\n", "stop"]), min_size=1,
                                                                 max_size=2, unique=True))
_COMMON = {"temperature": st.sampled_from([0.0, 0.3, 1.0, 1.5, 2]), "max_tokens": st.sampled_from([64, 1000, 4096]),
           "top_p": st.sampled_from([0.5, 1.0]), "stop": _STOP}
LM_SETTINGS = {
    "anthropic": st.fixed_dictionaries({}, optional={**_COMMON, "top_k": st.integers(1, 50), "seed": st.integers(0, 9),
                                                     "presence_penalty": st.sampled_from([0.0, 0.5])}),
    "gemini": st.fixed_dictionaries({}, optional={**_COMMON, "top_k": st.integers(1, 50), "seed": st.integers(0, 9),
                                                  "frequency_penalty": st.sampled_from([0.0, 0.5, 1])}),
    "azure": st.fixed_dictionaries({}, optional={**_COMMON, "api_version": st.sampled_from(["2024-06-01",
                                                                                            "2024-10-21"])}),
    "openai": st.fixed_dictionaries({}, optional=_COMMON),
}
CALL_SETTINGS = st.fixed_dictionaries({}, optional={"n": st.integers(1, 3), "temperature": st.sampled_from([0.2, 1.0])})
ANSWERS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)


def _reply(answer: str) -> str:
    return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


@pytest.fixture(scope="module")
def servers():
    with ProviderServer("anthropic") as anthropic, ProviderServer("gemini") as gemini, \
            ProviderServer("azure") as azure, ProviderServer("openai") as openai:
        yield {"anthropic": anthropic, "gemini": gemini, "azure": azure, "openai": openai}


def run_native(server: ProviderServer, case: dict) -> list[tuple]:
    lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    state = predict.create(case.get("sig", SIG), adapter=case.get("adapter", "chat"))
    pred = predict.execute(state, {"question": case["question"]}, lm=lm, config=dict(case["call"]))
    return [dict(c) for c in pred.completions]


def run_dspy(server: ProviderServer, case: dict) -> list[tuple]:
    lm = dspy.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    program = dspy.Predict(to_dspy_signature(case.get("sig", SIG)))
    adapter = dspy.JSONAdapter() if case.get("adapter") == "json" else None
    with dspy.context(lm=lm, adapter=adapter):
        pred = program(question=case["question"], config=dict(case["call"]))
    return [dict(c) for c in pred.completions]


def recorded(server: ProviderServer, case: dict, run) -> tuple[list, list[dict]]:
    server.load([_reply(a) for a in case["answers"]])
    outcome = run(server, case)
    assert server.replies_left == len(case["answers"]) - len(server.requests)
    return outcome, server.requests


def assert_same_run(shape: str, case: dict, server: ProviderServer) -> list[dict]:
    native, native_requests = recorded(server, case, run_native)
    reference, reference_requests = recorded(server, case, run_dspy)
    assert len(native_requests) == len(reference_requests)
    for mine, theirs in zip(native_requests, reference_requests):
        assert (mine["method"], mine["path"], mine["query"]) == (theirs["method"], theirs["path"], theirs["query"])
        assert mine["body"] == theirs["body"]
        for name in HEADERS[shape]:
            assert mine["headers"].get(name) == theirs["headers"].get(name), name
    assert native == reference
    return native_requests


#: Gateways on LiteLLM's route whose LiteLLM client has parameter rules of its own that native does
#: not reproduce (Mistral's refuses ``n`` and drops ``n=1``): ``n`` is not drawn for them (docs/engines.md).
LITELLM_OWN_PARAMETER_RULES = ("mistral/",)


@st.composite
def cases(draw, shape: str) -> dict:
    model = draw(st.sampled_from(MODELS[shape]))
    call = draw(CALL_SETTINGS)
    if model.startswith(LITELLM_OWN_PARAMETER_RULES):
        call.pop("n", None)
    n = call.get("n", 1)
    return {"model": model, "lm_settings": draw(LM_SETTINGS[shape]), "call": call,
            "question": draw(ANSWERS), "answers": draw(st.lists(ANSWERS, min_size=n, max_size=n))}


@pytest.mark.parametrize("shape", ["anthropic", "gemini", "azure", "openai"])
def test_native_writes_each_providers_requests_as_dspy_does(servers, shape):
    @settings(max_examples=10 if shape in ("azure", "openai") else 15)
    @given(cases(shape))
    def check(case):
        assert_same_run(shape, case, servers[shape])

    check()


@pytest.mark.parametrize("shape, model", [(shape, model) for shape, models in MODELS.items() for model in models])
def test_every_model_string_once(servers, shape, model):
    """Each provider prefix at least once whatever hypothesis draws (Fireworks' resource names,
    Mistral's /v1, Ollama's base as written, ...)."""
    case = {"model": model, "lm_settings": {"max_tokens": 100}, "call": {}, "question": "q", "answers": ["a"]}
    assert_same_run(shape, case, servers[shape])


def test_the_wires_put_system_messages_and_settings_where_each_api_wants_them(servers):
    """Spelled out once: Anthropic's ``system`` and default ``max_tokens``, Gemini's
    ``systemInstruction``/``generationConfig``, Azure's deployment URL and ``api-version``."""
    case = {"model": "anthropic/claude-3-5-sonnet-20241022", "lm_settings": {"temperature": 1.5}, "call": {},
            "question": "q", "answers": ["a"]}
    (sent,) = assert_same_run("anthropic", case, servers["anthropic"])
    assert sent["path"] == "/messages" and sent["headers"]["x-api-key"] == KEY
    body = sent["body"]
    assert body["max_tokens"] == 8192 and body["temperature"] == 1.0 and body["stream"] is False
    assert body["system"].startswith("Your input fields are:")
    assert [m["role"] for m in body["messages"]] == ["user"]

    case = {**case, "model": "gemini/gemini-2.0-flash", "lm_settings": {"temperature": 1.0, "stop": "x"}}
    (sent,) = assert_same_run("gemini", case, servers["gemini"])
    assert sent["path"] == "/models/gemini-2.0-flash:generateContent"
    assert sent["body"]["generationConfig"] == {"temperature": 1, "stopSequences": ["x"]}
    assert sent["body"]["systemInstruction"]["parts"][0]["text"].startswith("Your input fields are:")

    case = {**case, "model": "azure/my-gpt-4o", "lm_settings": {"api_version": "2024-06-01"}}
    (sent,) = assert_same_run("azure", case, servers["azure"])
    assert (sent["path"], sent["query"]) == ("/openai/deployments/my-gpt-4o/chat/completions", "api-version=2024-06-01")
    assert sent["headers"]["api-key"] == KEY and "authorization" not in sent["headers"]


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash", "gemini/gemini-2.0-flash"])
@pytest.mark.parametrize("spec, reply", [
    ("question -> answer", '{"answer": "x"}'),
    ("question -> answer: int, notes: list[str]", '{"answer": 3, "notes": ["a", "b"]}'),
    ("question -> score: float, tags: list[int]", '{"score": 0.5, "tags": [1]}'),
])
def test_the_json_adapters_structured_output_is_written_as_dspy_writes_it(servers, model, spec, reply):
    """The JSON adapter's response_format: Anthropic's output_config.format, Gemini's
    responseMimeType with responseJsonSchema/responseSchema."""
    shape = model.split("/")[0]
    server = servers[shape]
    case = {"model": model, "lm_settings": {}, "call": {}, "question": "q", "answers": [], "sig": Signature(spec),
            "adapter": "json"}
    server.load([reply])
    native = run_native(server, case)
    (mine,) = server.requests
    server.load([reply])
    assert run_dspy(server, case) == native
    (theirs,) = server.requests
    assert mine["body"] == theirs["body"] and mine["path"] == theirs["path"]
    assert ("output_config" if shape == "anthropic" else "generationConfig") in mine["body"]


def test_json_object_for_anthropic_goes_litellms_way_in_dspy_and_is_a_capability_error_natively(servers):
    """An open dict field makes the JSON adapter ask for json_object, which the Messages API has no
    mode for: lm15 refuses it and dspy sends the call through LiteLLM's Anthropic client."""
    from dspex_core.errors import CapabilityError

    server = servers["anthropic"]
    case = {"model": "anthropic/claude-sonnet-4-5", "lm_settings": {}, "call": {}, "question": "q", "answers": [],
            "sig": Signature("question -> details: dict[str, int]"), "adapter": "json"}
    server.load(['{"details": {"k": 1}}'])
    with pytest.raises(CapabilityError, match="json_object"):
        run_native(server, case)
    assert server.requests == []
    run_dspy(server, case)
    assert [r["path"] for r in server.requests] == ["/v1/messages"]


# -- replies: the text and usage dspy reads from each API's answer ------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_COUNT = st.integers(0, 500)


@st.composite
def anthropic_replies(draw) -> dict:
    blocks = draw(st.lists(st.one_of(
        st.builds(lambda t: {"type": "text", "text": t}, _TEXT),
        st.builds(lambda t: {"type": "thinking", "thinking": t, "signature": "sig"}, _TEXT)), min_size=1, max_size=4)
        .filter(lambda b: any(x["type"] == "text" for x in b)))
    usage = {}
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        if draw(st.booleans()) or (key == "output_tokens" and draw(st.booleans())):
            usage[key] = draw(_COUNT)
    if draw(st.booleans()):
        usage["output_tokens_details"] = {"thinking_tokens": draw(_COUNT)}
    return {"id": "msg", "type": "message", "role": "assistant", "model": "m", "content": blocks,
            "stop_reason": draw(st.sampled_from(["end_turn", "max_tokens", "stop_sequence"])), "usage": usage}


@st.composite
def gemini_replies(draw) -> dict:
    parts = draw(st.lists(st.one_of(st.builds(lambda t: {"text": t}, _TEXT),
                                    st.builds(lambda t: {"text": t, "thought": True}, _TEXT)), min_size=1, max_size=4)
                 .filter(lambda p: any(not x.get("thought") for x in p)))
    usage = {"promptTokenCount": draw(_COUNT)}
    for key in ("candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount"):
        if draw(st.booleans()):  # (proto3 JSON leaves a zero count out)
            usage[key] = draw(_COUNT)
    # Gemini's total: prompt, candidates and thoughts (a cached count is part of the prompt's)
    usage["totalTokenCount"] = sum(usage.get(k, 0) for k in ("promptTokenCount", "candidatesTokenCount",
                                                               "thoughtsTokenCount"))
    for key in ("promptTokensDetails", "candidatesTokensDetails"):  # modality breakdowns, audio among them
        if draw(st.booleans()):
            usage[key] = draw(st.lists(st.fixed_dictionaries(
                {"modality": st.sampled_from(["TEXT", "AUDIO", "IMAGE"]), "tokenCount": _COUNT}), max_size=3))
    return {"candidates": [{"content": {"role": "model", "parts": parts},
                            "finishReason": draw(st.sampled_from(["STOP", "MAX_TOKENS"])), "index": 0}],
            "usageMetadata": usage}


REPLIES = {"anthropic": anthropic_replies(), "gemini": gemini_replies()}


@pytest.mark.parametrize("shape", ["anthropic", "gemini"])
def test_replies_are_read_into_the_same_text_and_usage(servers, shape):
    """Several text blocks or parts, thoughts among them, cache, thinking and audio counts, some
    counts missing: the same completion text, and the usage dspy records (its whole entry:
    prompt/completion/total tokens and their details, as ``get_lm_usage()`` and ``track_usage`` sum them)."""
    from dspex_native.lm import get_client

    server = servers[shape]
    model = MODELS[shape][0]
    messages = [{"role": "user", "content": "hi"}]

    @settings(max_examples=25)
    @given(REPLIES[shape])
    def check(reply):
        server.load([reply])
        client = get_client(dspex.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0))
        with dspex.track_usage() as tracked:
            mine = client(messages)
        server.load([reply])
        lm = dspy.LM(model, api_base=server.url, api_key=KEY, cache=False, num_retries=0)
        assert lm(messages=messages) == mine  # (with thoughts, {"text", "reasoning_content"} on both)
        assert tracked.get_total_tokens().get(model, {}) == lm.history[-1]["usage"]

    check()
