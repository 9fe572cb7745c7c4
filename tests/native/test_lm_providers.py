"""The native client's providers with a wire format of their own (Anthropic, Gemini, Azure, and
Ollama's own API on LiteLLM's route) on
local fakes of their APIs: keys from the provider's variables (a missing one refused before any
request), error statuses retried as dspy retries them, errors naming the status and never the
key, and what is not built refused with a CapabilityError the router falls back on.
(Request bodies are compared with dspy's in tests/parity/test_provider_http.py.)"""

from __future__ import annotations

import pytest

from dspex_core import LM, CapabilityError, ConfigError, ContextWindowExceededError, LMError
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.lm import clear_clients, get_client

KEY = "sk-native-provider-key-0123456789"
MODELS = {"anthropic": "anthropic/claude-sonnet-4-5", "gemini": "gemini/gemini-2.5-flash", "azure": "azure/dep",
          "ollama": "ollama_chat/llama3.2"}
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
ENV = ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "AZURE_API_KEY", "AZURE_OPENAI_API_KEY",
       "AZURE_API_BASE", "AZURE_API_VERSION", "AZURE_OPENAI_ENDPOINT", "ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL",
       "GEMINI_API_BASE", "OLLAMA_API_BASE", "OLLAMA_API_KEY")


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    clear_clients()
    yield
    clear_clients()


@pytest.fixture(params=["anthropic", "gemini", "azure", "ollama"])
def server(request):
    with ProviderServer(request.param) as fake:
        yield fake


def _client(server: ProviderServer, **settings):
    if server.shape == "ollama":  # Ollama's own API is LiteLLM's route (dspy's own engine speaks its /v1)
        settings.setdefault("engine", "litellm")
    return get_client(LM(MODELS[server.shape], api_base=server.url, api_key=KEY, cache=False,
                         retry_base_delay=0, retry_max_delay=0, **settings))


def test_a_reply_is_read_with_its_usage(server):
    server.load(["hello"])
    client = _client(server)
    assert client(MESSAGES) == ["hello"]
    usage = client.usage.total
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 7, 18)


@pytest.mark.parametrize("status", [408, 429, 500, 503, 529])
def test_transient_statuses_are_retried(server, status):
    server.load(["ok"])
    server.fail(status, times=2, retry_after="0")
    assert _client(server, num_retries=2)(MESSAGES) == ["ok"]
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_fail_at_once_naming_the_status_not_the_key(server, status):
    server.load(["never"])
    server.fail(status, message=f"refused {KEY}")
    with pytest.raises(LMError) as info:
        _client(server, num_retries=3)(MESSAGES)
    assert len(server.requests) == 1
    assert info.value.status == status and "fault" not in str(info.value)
    assert KEY not in str(info.value) and "refused" in str(info.value)


def test_a_prompt_too_long_is_a_context_window_error(server):
    message = {"anthropic": "prompt is too long: 300000 tokens > 200000 maximum",
               "gemini": "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).",
               "azure": "This model's maximum context length is 128000 tokens.",
               "ollama": "This model's maximum context length is 8192 tokens."}[server.shape]
    server.fail(400, message=message)
    with pytest.raises(ContextWindowExceededError):
        _client(server)(MESSAGES)
    assert len(server.requests) == 1


def test_a_blocked_gemini_answer_is_an_error_not_a_reply(monkeypatch):
    from dspex_core.testing import provider_server

    blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 3}}
    monkeypatch.setattr(provider_server, "reply_body", lambda shape, text, usage=(0, 0): blocked)
    with ProviderServer("gemini", ["x"]) as fake:
        with pytest.raises(LMError, match="Prompt blocked: SAFETY"):
            _client(fake, num_retries=2)(MESSAGES)
        assert len(fake.requests) == 1


@pytest.mark.parametrize("provider, variables", [
    ("anthropic", ["ANTHROPIC_API_KEY"]), ("gemini", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])])
def test_the_key_comes_from_the_providers_variables(monkeypatch, provider, variables):
    model = MODELS[provider]
    with pytest.raises(ConfigError, match=variables[0]):
        get_client(LM(model))  # the hosted endpoint, no key: refused before any request
    for name in variables:
        monkeypatch.setenv(name, f"{name}-value-123")
        clear_clients()
        client = get_client(LM(model))
        assert client.endpoint.api_key == f"{variables[0]}-value-123"  # the first one set wins
        assert f"{name}-value" not in repr(client) + repr(client.endpoint)


def test_azure_reads_litellms_variables_and_always_needs_a_key(monkeypatch):
    with ProviderServer("azure", ["ok"]) as fake:
        monkeypatch.setenv("AZURE_API_BASE", fake.url)
        with pytest.raises(ConfigError, match="AZURE_API_KEY"):
            get_client(LM("azure/dep"))
        monkeypatch.setenv("AZURE_API_KEY", KEY)
        monkeypatch.setenv("AZURE_API_VERSION", "2024-10-21")
        clear_clients()
        assert get_client(LM("azure/dep"))(MESSAGES) == ["ok"]
        (sent,) = fake.requests
        assert (sent["path"], sent["query"], sent["headers"]["api-key"]) == (
            "/openai/deployments/dep/chat/completions", "api-version=2024-10-21", KEY)


def test_azure_without_a_base_url_is_refused_naming_what_to_set():
    with pytest.raises(ConfigError, match="AZURE_API_BASE"):
        get_client(LM("azure/dep", api_key=KEY))


@pytest.mark.parametrize("settings, word", [
    ({"logprobs": True}, "logprobs"),
    ({"tools": [{"type": "web_search"}]}, "tools"),  # (function tools are written on Anthropic's wire)
    ({"frobnicate": 1}, "frobnicate"),
])
@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_settings_not_written_natively_are_a_capability_error_before_any_request(provider, settings, word):
    with ProviderServer(provider, ["x"]) as fake:
        with pytest.raises(CapabilityError, match=word):
            _client(fake)(MESSAGES, **settings)
        assert fake.requests == []


@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_a_users_images_are_written_and_other_parts_are_a_capability_error(provider):
    image = [{"role": "user", "content": [{"type": "text", "text": "see"},
                                          {"type": "image_url", "image_url": {"url": "data:image/webp;base64,AA"}},
                                          {"type": "image_url", "image_url": {"url": "https://e.com/p"}}]}]
    marked = [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}]
    with ProviderServer(provider, ["x"]) as fake:
        assert _client(fake)(image) == ["x"]
        body = fake.requests[0]["body"]
        if provider == "anthropic":
            assert body["messages"][0]["content"] == [
                {"type": "text", "text": "see"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "AA"}},
                {"type": "image", "source": {"type": "url", "url": "https://e.com/p"}}]
        else:
            assert body["contents"][0]["parts"] == [
                {"text": "see"}, {"inlineData": {"mimeType": "image/webp", "data": "AA"}},
                {"fileData": {"mimeType": "image/png", "fileUri": "https://e.com/p"}}]
        with pytest.raises(CapabilityError, match="parts other than text and a user's images, files and audio"):
            _client(fake)(marked)
        assert len(fake.requests) == 1


def test_anthropic_on_litellms_route_is_litellms_messages_request():
    """engine='litellm' (or a client setting only LiteLLM carries): LiteLLM's Anthropic client's
    request, at {api_base}/v1/messages, its system blocks, its default max_tokens, no stream."""
    reply = "[[ ## answer ## ]]\nhi\n\n[[ ## completed ## ]]"
    for settings in ({"engine": "litellm"}, {"headers": {"x-trace": "1"}}):
        with ProviderServer("anthropic", [reply]) as fake:
            assert _client(fake, **settings)(MESSAGES, temperature=1.5, stop="END") == [reply]
            (sent,) = fake.requests
            assert sent["path"] == "/v1/messages" and sent["headers"]["x-api-key"] == KEY
            assert sent["body"] == {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "hi"}]}], "temperature": 1.5, "stop_sequences": ["END"],
                "system": [{"type": "text", "text": "be brief"}], "max_tokens": 64000}
    with ProviderServer("anthropic", [reply]) as fake:
        with pytest.raises(ConfigError, match="LiteLLM refuses 'seed'"):
            _client(fake, engine="litellm")(MESSAGES, seed=1)
        with pytest.raises(CapabilityError, match="response_format"):
            _client(fake, engine="litellm")(MESSAGES, response_format={"type": "json_object"})
        assert fake.requests == []


def test_litellms_latest_aliases_are_sent_as_the_model_they_name():
    """LiteLLM's route sends a "-latest" alias as the model it stands for (its get_llm_provider);
    an alias of a reasoning model, whose settings rules native does not reproduce there, is refused."""
    reply = "[[ ## answer ## ]]\nhi\n\n[[ ## completed ## ]]"
    with ProviderServer("anthropic", [reply]) as fake:
        client = get_client(LM("anthropic/claude-opus-latest", api_base=fake.url, api_key=KEY, engine="litellm",
                               cache=False))
        assert client(MESSAGES) == [reply]
        assert fake.requests[0]["body"]["model"] == "claude-opus-5-5"
    with pytest.raises(CapabilityError, match="alias of 'gpt-6-luna', a reasoning model"):
        get_client(LM("openai/gpt-luna-latest", api_key=KEY, engine="litellm"))


def test_litellms_route_for_gemini_uses_litellms_gemini_client(monkeypatch):
    """dspy sends gemini/ LiteLLM's way under engine='litellm', with client settings lm15 does not
    take, or with GEMINI_API_BASE set: native writes LiteLLM's GenerateContent requests then, at
    GEMINI_API_BASE when it is set (its parity with dspy: tests/parity/test_gemini_litellm_http.py)."""
    from dspex_native.lm import wire_gemini_litellm

    model = MODELS["gemini"]
    for lm in (LM(model, api_key=KEY, engine="litellm"), LM(model, api_key=KEY, headers={"x-trace": "1"})):
        client = get_client(lm)
        assert client.wire is wire_gemini_litellm and not client.route.own
    monkeypatch.setenv("GEMINI_API_BASE", "http://127.0.0.1:9/")
    client = get_client(LM(model, api_key=KEY))
    assert client.wire is wire_gemini_litellm and client.endpoint.base_url == "http://127.0.0.1:9"


def test_bad_settings_are_refused_naming_them():
    from dspex_core.errors import InputError

    with ProviderServer("anthropic", ["x"]) as fake:
        client = _client(fake)
        for settings, word in [({"temperature": 3}, "temperature"), ({"top_k": 1.5}, "top_k"),
                               ({"stop": [""]}, "stop"), ({"max_tokens": 10, "max_completion_tokens": 20}, "disagree")]:
            with pytest.raises(InputError, match=word):
                client(MESSAGES, **settings)
        assert fake.requests == []


def test_anthropic_has_no_any_json_mode():
    """dspy sends response_format json_object for Anthropic LiteLLM's way (lm15 refuses it)."""
    with ProviderServer("anthropic", ["x"]) as fake:
        with pytest.raises(CapabilityError, match="json_object"):
            _client(fake)(MESSAGES, response_format={"type": "json_object"})
        assert fake.requests == []


def test_the_async_call_speaks_each_wire(server):
    import asyncio

    server.load(["one", "two"])
    if server.shape in ("azure", "ollama"):  # LiteLLM's route: one request (Ollama's takes no n)
        assert asyncio.run(_client(server).acall(MESSAGES)) == ["one"]
        assert len(server.requests) == 1
    else:  # dspy's own engine: a request per completion
        assert asyncio.run(_client(server).acall(MESSAGES, n=2)) == ["one", "two"]
        assert len(server.requests) == 2


def test_one_ollama_call_dspy_would_send_litellms_way_is_a_capability_error():
    """A call of an LM on dspy's own engine (Ollama's /v1) with a key lm15 has no verdict for goes
    to LiteLLM's Ollama client in dspy, for that call only: not switched natively (the LM on
    LiteLLM's route, engine='litellm', is written natively: tests/native/test_lm_ollama_litellm.py)."""
    with ProviderServer("openai", ["ok"]) as fake:
        lm = LM("ollama_chat/llama3.2", api_base=fake.url, cache=False)
        with pytest.raises(CapabilityError, match="Ollama's own API"):
            get_client(lm)(MESSAGES, frobnicate=1)
        assert fake.requests == []
        assert get_client(lm)(MESSAGES) == ["ok"]
        assert fake.requests[0]["path"] == "/chat/completions"  # the base as written, as dspy posts


@pytest.mark.parametrize("deployment", ["o3-mini", "my-o1", "o_series/dep"])
def test_azure_o_series_deployments_are_a_capability_error(deployment):
    with pytest.raises(CapabilityError, match="o-series"):
        get_client(LM(f"azure/{deployment}", api_base="http://127.0.0.1:9", api_key=KEY))
