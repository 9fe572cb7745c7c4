"""The native LM client against the local OpenAI-compatible server: requests, retries,
timeouts, dropped connections, n, usage, concurrency, providers and key hygiene."""

from __future__ import annotations

import asyncio
import base64
import logging
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dspex_core import LM, CapabilityError, ConfigError, InputError, LMError, LMTimeoutError
from dspex_core.testing import RecordingLM
from dspex_core.testing.fixtures import local_lm_server, local_lm_server_factory  # noqa: F401 - fixtures
from dspex_native.lm import CustomLMClient, HTTPLMClient, get_client
from dspex_native.lm.providers import resolve
from dspex_native.lm.retry import RetryPolicy, parse_retry_after

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello there"}]
SECRET = "sk-test-SECRET-0123456789abcdef"
FAST = {"retry_base_delay": 0.001, "retry_max_delay": 0.01, "cache": False}


def lm_for(server, **settings) -> LM:
    return LM("openai/test-model", api_base=server.url, **{**FAST, **settings})


def echo(messages, settings):
    return "echo: " + messages[-1]["content"]


# -- requests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("engine, limit", [(None, "max_completion_tokens"), ("litellm", "max_tokens")])
def test_request_body_and_reply(local_lm_server_factory, engine, limit):
    """dspy's own engine (the default) writes OpenAI's token limit as max_completion_tokens,
    LiteLLM's route as max_tokens (docs/engines.md)."""
    server = local_lm_server_factory("the reply")
    client = HTTPLMClient(lm_for(server, temperature=0.3, max_tokens=50, top_p=0.9, stop=["\n\n"], seed=7,
                                 num_retries=2, timeout=30, rollout_id=None, logprobs=None, engine=engine))
    assert client(MESSAGES) == ["the reply"]
    body = server.requests[0]["body"]
    assert body == {"model": "test-model", "messages": MESSAGES, "temperature": 0.3, limit: 50,
                    "top_p": 0.9, "stop": ["\n\n"], "seed": 7}
    assert server.requests[0]["auth"] is False


def test_call_settings_override_lm_settings(local_lm_server_factory):
    server = local_lm_server_factory("x")
    client = HTTPLMClient(lm_for(server, temperature=0.3))
    client(MESSAGES, temperature=1.0, n=2, rollout_id=5, cache=False, num_retries=0)
    assert [r["body"] for r in server.requests] == [{"model": "test-model", "messages": MESSAGES, "temperature": 1.0}] * 2
    client = HTTPLMClient(lm_for(server, temperature=0.3, engine="litellm"))
    client(MESSAGES, temperature=1.0, n=2, rollout_id=5, cache=False, num_retries=0)
    assert server.requests[2]["body"] == {"model": "test-model", "messages": MESSAGES, "temperature": 1.0, "n": 2}


def test_api_key_sent_as_bearer_and_never_recorded(local_lm_server_factory):
    server = local_lm_server_factory("x")
    HTTPLMClient(lm_for(server, api_key=SECRET))(MESSAGES)
    assert server.requests[0]["auth"] is True
    assert SECRET not in repr(server.requests)


@pytest.mark.parametrize("engine, requests", [(None, 3), ("litellm", 1)])
def test_n_completions(local_lm_server_factory, engine, requests):
    """n=3 is three requests on dspy's own engine, one request with n on LiteLLM's route."""
    server = local_lm_server_factory(RecordingLM(["a", "b", "c"]))
    assert HTTPLMClient(lm_for(server, engine=engine))(MESSAGES, n=3) == ["a", "b", "c"]
    assert [r["body"].get("n") for r in server.requests] == ([3] if requests == 1 else [None] * 3)


def test_bad_settings_are_input_errors(local_lm_server_factory):
    server = local_lm_server_factory("x")
    client = HTTPLMClient(lm_for(server))
    with pytest.raises(InputError):
        client(MESSAGES, n=0)
    with pytest.raises(InputError):
        client(MESSAGES, num_retries=-1)
    with pytest.raises(InputError):
        client([])
    with pytest.raises(InputError):
        HTTPLMClient(lm_for(server, timeout="soon"))
    assert server.requests == []


# -- retries ----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retries_then_success(local_lm_server_factory, status):
    server = local_lm_server_factory(echo)
    server.inject(status=status, times=2)
    client = HTTPLMClient(lm_for(server))
    assert client(MESSAGES) == ["echo: hello there"]
    assert [r["fault"] for r in server.requests] == [str(status), str(status), None]


def test_gives_up_after_num_retries(local_lm_server_factory):
    server = local_lm_server_factory("x")
    server.inject(status=503, times=10, message="overloaded, try later")
    with pytest.raises(LMError) as info:
        HTTPLMClient(lm_for(server, num_retries=2))(MESSAGES)
    error = info.value
    assert (error.model, error.status, error.attempts) == ("openai/test-model", 503, 3)
    assert "openai/test-model" in str(error) and "503" in str(error) and "3 attempts" in str(error)
    assert "overloaded, try later" in str(error)
    assert len(server.requests) == 3


def test_default_num_retries_is_dspys(local_lm_server_factory):
    server = local_lm_server_factory("x")
    server.inject(status=500, times=10)
    with pytest.raises(LMError) as info:
        HTTPLMClient(lm_for(server))(MESSAGES)
    assert info.value.attempts == 4  # dspy.LM(num_retries=3): the first try and three retries
    assert len(server.requests) == 4


def test_non_retryable_status_fails_at_once(local_lm_server_factory):
    server = local_lm_server_factory("x")
    server.inject(status=400, message="unknown parameter 'foo'")
    with pytest.raises(LMError) as info:
        HTTPLMClient(lm_for(server))(MESSAGES)
    assert info.value.status == 400 and info.value.attempts == 1
    assert "unknown parameter 'foo'" in str(info.value)
    assert len(server.requests) == 1


def test_401_without_key_hints_at_the_env_var(local_lm_server_factory, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = local_lm_server_factory("x")
    server.inject(status=401, message="missing credentials")
    with pytest.raises(LMError, match="OPENAI_API_KEY"):
        HTTPLMClient(lm_for(server))(MESSAGES)


@pytest.mark.parametrize(("model", "variable"), [("openai/gpt-4o-mini", "OPENAI_API_KEY"),
                                                 ("groq/llama-3.1-8b", "GROQ_API_KEY"),
                                                 ("together_ai/meta/llama", "TOGETHERAI_API_KEY")])
def test_no_key_for_a_hosted_provider_is_a_config_error_before_any_request(monkeypatch, model, variable):
    """Not four retries ending in a DNS error or a 401: what is missing is said at once, as dspy.LM does."""
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE", "GROQ_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"no API key found for '{model}': set {variable}") as info:
        get_client(LM(model))(MESSAGES)
    assert not isinstance(info.value, LMError) and time.monotonic() - started < 1.0
    assert "api_base=" in str(info.value)  # what a local server needs instead
    # a key from the environment, an endpoint the user named, or an auth header of their own: no refusal
    monkeypatch.setenv(variable, SECRET)
    assert resolve(LM(model)).api_key == SECRET
    monkeypatch.delenv(variable)
    assert resolve(LM(model, api_base="http://127.0.0.1:9/v1")).api_key is None
    assert resolve(LM(model, headers={"X-Api-Key": SECRET})).api_key is None


def test_a_local_endpoint_needs_no_key_and_gets_none(local_lm_server_factory, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = local_lm_server_factory("x")
    assert HTTPLMClient(LM("openai/llama3", api_base=server.url, **FAST))(MESSAGES) == ["x"]
    assert server.requests[0]["auth"] is False


def test_retry_after_is_honoured_and_capped(local_lm_server_factory, monkeypatch):
    import dspex_native.lm.client as client_module

    waits = []
    monkeypatch.setattr(client_module.time, "sleep", lambda s: waits.append(s))
    server = local_lm_server_factory("ok")
    server.inject(status=429, retry_after=2.5).inject(status=429, retry_after=3600)
    client = HTTPLMClient(lm_for(server, retry_after_max=10, retry_base_delay=0.001))
    assert client(MESSAGES) == ["ok"]
    assert waits == [2.5, 10.0]


def test_retry_policy_units():
    policy = RetryPolicy(num_retries=5, base_delay=0.5, max_delay=8.0, max_retry_after=30)
    for attempt in range(1, 10):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= policy.delay(attempt) <= ceiling
    assert policy.delay(1, retry_after=100) == 30
    assert policy.attempts == 6
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    with pytest.raises(ValueError):
        RetryPolicy(num_retries=True)


def test_the_timeout_bounds_the_whole_call(local_lm_server_factory):
    # timeout is the call's, not each attempt's: a slow first attempt leaves no time for a retry
    server = local_lm_server_factory("x")
    server.inject(delay=3.0, times=2)
    started = time.monotonic()
    with pytest.raises(LMTimeoutError) as info:
        HTTPLMClient(lm_for(server, timeout=0.2, num_retries=1))(MESSAGES)
    assert time.monotonic() - started < 2.5
    assert "timed out after 1 attempt" in str(info.value) and "timeout=0.2 s" in str(info.value)
    assert info.value.attempts == 1 and info.value.status is None and len(server.requests) == 1


def test_after_a_timeout_the_next_call_works(local_lm_server_factory):
    server = local_lm_server_factory("late but fine")
    server.inject(delay=3.0)
    client = HTTPLMClient(lm_for(server, timeout=0.2))
    with pytest.raises(LMTimeoutError):
        client(MESSAGES)
    assert client(MESSAGES, timeout=30) == ["late but fine"]


def test_retries_happen_inside_the_time_left_and_a_wait_past_it_is_not_started(local_lm_server_factory, monkeypatch):
    import dspex_native.lm.client as client_module

    waits = []
    monkeypatch.setattr(client_module.time, "sleep", lambda s: waits.append(s))
    server = local_lm_server_factory("ok")
    server.inject(status=503, retry_after=1).inject(status=429, retry_after=3600)
    with pytest.raises(LMTimeoutError) as info:
        HTTPLMClient(lm_for(server, timeout=30))(MESSAGES)
    assert waits == [1.0]  # the 60 s the second Retry-After would get is more than the call has left
    assert info.value.attempts == 2 and info.value.status == 429 and "Retry-After" in str(info.value)


def test_dropped_connection_is_retried(local_lm_server_factory):
    server = local_lm_server_factory("ok")
    server.inject(drop=True, times=2)
    assert HTTPLMClient(lm_for(server))(MESSAGES) == ["ok"]
    assert [r["fault"] for r in server.requests] == ["drop", "drop", None]


def test_dropped_connections_give_up(local_lm_server_factory):
    server = local_lm_server_factory("ok")
    server.inject(drop=True, times=10)
    with pytest.raises(LMError, match="connection error") as info:
        HTTPLMClient(lm_for(server, num_retries=1))(MESSAGES)
    assert info.value.attempts == 2


def test_unreachable_server_is_an_lm_error():
    from dspex_core.testing.server import LocalLMServer

    server = LocalLMServer().start()
    url = server.url
    server.stop()
    with pytest.raises(LMError, match="connection error"):
        HTTPLMClient(LM("openai/m", api_base=url, num_retries=1, **{k: v for k, v in FAST.items()}))(MESSAGES)


def test_async_retries_and_reply(local_lm_server_factory):
    server = local_lm_server_factory(echo)
    server.inject(status=429).inject(drop=True)
    client = HTTPLMClient(lm_for(server))
    assert asyncio.run(client.acall(MESSAGES)) == ["echo: hello there"]
    assert len(server.requests) == 3
    server.inject(status=500, times=10)
    with pytest.raises(LMError) as info:
        asyncio.run(client.acall(MESSAGES, num_retries=1))
    assert info.value.attempts == 2 and info.value.status == 500


# -- usage ------------------------------------------------------------------------------------

def test_usage_accumulates(local_lm_server_factory):
    server = local_lm_server_factory("one two three")
    client = HTTPLMClient(lm_for(server, engine="litellm"))
    client(MESSAGES)
    client(MESSAGES, n=2)
    assert client.usage.last.as_dict() == {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}
    total = client.usage.total
    assert (total.calls, total.prompt_tokens, total.completion_tokens, total.total_tokens) == (2, 6, 9, 15)
    client = HTTPLMClient(lm_for(server))  # dspy's own engine: each of the n requests is a provider call
    client(MESSAGES)
    client(MESSAGES, n=2)
    assert client.usage.last.as_dict() == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
    total = client.usage.total
    assert (total.calls, total.prompt_tokens, total.completion_tokens, total.total_tokens) == (3, 9, 9, 18)
    client.usage.reset()
    assert client.usage.total.calls == 0 and client.usage.last is None


# -- concurrency ------------------------------------------------------------------------------

def test_threads_share_one_client(local_lm_server_factory):
    server = local_lm_server_factory(echo, latency=0.005)
    client = get_client(lm_for(server))
    prompts = [[{"role": "user", "content": f"q{i}"}] for i in range(64)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda m: client(m), prompts))
    assert results == [[f"echo: q{i}"] for i in range(64)]
    assert len(server.requests) == 64
    assert client.usage.total.calls == 64


def test_asyncio_concurrency(local_lm_server_factory):
    server = local_lm_server_factory(echo, latency=0.005)
    client = get_client(lm_for(server))
    server.inject(status=429, times=3)

    async def main():
        gate = asyncio.Semaphore(16)

        async def one(i):
            async with gate:
                return await client.acall([{"role": "user", "content": f"q{i}"}])

        return await asyncio.gather(*(one(i) for i in range(64)))

    assert asyncio.run(main()) == [[f"echo: q{i}"] for i in range(64)]
    assert len(server.requests) == 67
    # a second event loop gets its own pooled async client and works too
    assert asyncio.run(client.acall([{"role": "user", "content": "again"}])) == ["echo: again"]


# -- key hygiene ------------------------------------------------------------------------------

def test_key_never_in_errors_reprs_or_logs(local_lm_server_factory, caplog):
    caplog.set_level(logging.DEBUG)
    server = local_lm_server_factory("ok")
    lm = lm_for(server, api_key=SECRET, num_retries=1, timeout=0.2)
    client = HTTPLMClient(lm)
    seen = [repr(lm), repr(client), repr(client.endpoint), repr(client.usage), repr(client.cache), str(lm.settings)]
    server.inject(status=400, message=f"invalid api key {SECRET} (Authorization: Bearer {SECRET})")
    server.inject(status=500, times=2, message=f"key={SECRET}")
    server.inject(delay=2.0)  # one attempt: the timeout bounds the whole call
    server.inject(drop=True, times=2)
    for _ in range(4):
        with pytest.raises(LMError) as info:
            client(MESSAGES)
        seen += [str(info.value), repr(info.value), repr(info.value.__cause__), repr(info.value.__context__)]
    assert client(MESSAGES, timeout=30) == ["ok"]
    seen += [record.getMessage() for record in caplog.records] + [repr(r.args) for r in caplog.records]
    assert any("retrying" in s for s in seen)  # the debug log did run
    leaked = [s for s in seen if SECRET in s or SECRET[8:] in s]
    assert leaked == []


# -- providers and get_client -----------------------------------------------------------------

def test_provider_resolution(monkeypatch):
    for name in ("OPENAI_API_BASE", "OLLAMA_API_BASE", "HOSTED_VLLM_API_BASE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert resolve(LM("openai/gpt-4o-mini", api_key=SECRET)).base_url == "https://api.openai.com/v1"
    assert resolve(LM("gpt-4o-mini", api_key=SECRET)).model_name == "gpt-4o-mini"
    monkeypatch.setenv("OPENAI_API_BASE", "http://proxy.local/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    endpoint = resolve(LM("openai/gpt-4o-mini"))
    assert (endpoint.base_url, endpoint.api_key) == ("http://proxy.local/v1", SECRET)
    assert SECRET not in repr(endpoint)
    assert resolve(LM("openai/x", api_base="http://a:1/v1", api_key="sk-other")).api_key == "sk-other"
    assert resolve(LM("openai/x", api_base="http://a:1/v1")).base_url == "http://a:1/v1"
    assert resolve(LM("ollama_chat/llama3.2")).base_url == "http://localhost:11434/v1"
    ollama = resolve(LM("ollama/llama3.2", api_base="http://gpu:11434"))  # as written, as dspy's own engine posts
    assert (ollama.chat_url, ollama.model_name) == ("http://gpu:11434/chat/completions", "llama3.2")
    monkeypatch.setenv("OLLAMA_API_BASE", "http://gpu:11434")  # read by LiteLLM, whose route it sends ollama/ on
    assert resolve(LM("ollama_chat/llama3.2")).base_url == "http://localhost:11434/v1"
    assert get_client(LM("ollama/llama3.2"))._post().url == "http://gpu:11434/api/generate"  # Ollama's own API
    with pytest.raises(ConfigError, match="HOSTED_VLLM_API_BASE"):
        resolve(LM("hosted_vllm/meta/llama"))
    monkeypatch.setenv("HOSTED_VLLM_API_BASE", "http://vllm:8000/v1")
    assert resolve(LM("hosted_vllm/meta/llama")).model_name == "meta/llama"
    with pytest.raises(CapabilityError):
        resolve(LM("bedrock/anthropic.claude-3"))
    assert resolve(LM("bedrock/claude-3", api_base="http://compat/v1")).base_url == "http://compat/v1"
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    anthropic = resolve(LM("anthropic/claude-3"))  # its own wire format: tests/native/test_lm_providers.py
    assert anthropic.chat_url == "https://api.anthropic.com/v1/messages" and SECRET not in repr(anthropic)
    with pytest.raises(ConfigError):
        resolve(LM("someprovider/m"))
    with pytest.raises(ConfigError):
        resolve(LM("openai/x", api_base="ftp://nope"))
    with_credentials = resolve(LM("openai/x", api_base="http://u:pw%40x@host/v1"))
    assert with_credentials.base_url == "http://host/v1" and "pw" not in repr(with_credentials)
    assert with_credentials.basic_auth == "Basic " + base64.b64encode(b"u:pw@x").decode()  # decoded, as httpx sends


def test_credentials_in_api_base_stay_out_of_errors(local_lm_server_factory):
    server = local_lm_server_factory("x")
    url = server.url.replace("http://", "http://user:pw-secret@")
    server.inject(status=400)
    client = HTTPLMClient(LM("openai/m", api_base=url, **FAST))
    with pytest.raises(LMError) as info:
        client(MESSAGES)
    assert "pw-secret" not in str(info.value) and "pw-secret" not in repr(client)


def test_get_client_reuses_per_configuration(local_lm_server_factory):
    server = local_lm_server_factory("x")
    lm = lm_for(server, temperature=0.5)
    assert get_client(lm) is get_client(lm)
    assert get_client(lm) is get_client(lm_for(server, temperature=0.5))
    assert get_client(lm) is not get_client(lm_for(server, temperature=0.9))
    assert get_client(lm) is not get_client(lm_for(server, temperature=0.5, api_key="sk-a"))
    assert isinstance(get_client(lm), HTTPLMClient)


def test_a_key_rotated_in_the_environment_gets_a_client_that_sends_it(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "first-key-0001")
    first = get_client(LM("openai/m", api_base="http://127.0.0.1:9/v1"))
    monkeypatch.setenv("OPENAI_API_KEY", "rotated-key-0002")
    second = get_client(LM("openai/m", api_base="http://127.0.0.1:9/v1"))
    assert first is not second and second.endpoint.api_key == "rotated-key-0002"


def test_get_client_rejects_non_lms():
    with pytest.raises(InputError):
        get_client("openai/gpt-4o-mini")


def test_custom_lm_wrapper_sync_and_async():
    lm = RecordingLM(["a", "b", "c"])
    client = get_client(lm)
    assert isinstance(client, CustomLMClient)
    assert client(MESSAGES, temperature=0) == ["a"]
    assert asyncio.run(client.acall(MESSAGES)) == ["b"]
    assert [call.settings for call in lm.calls] == [{"temperature": 0}, {}]
    assert client.usage.total.calls == 2


def test_custom_lm_without_acall_runs_in_a_thread():
    import threading

    threads = []

    def plain(messages, **settings):
        threads.append(threading.current_thread())
        return "one"

    client = get_client(plain)
    assert asyncio.run(client.acall(MESSAGES)) == ["one"]
    assert threads[0] is not threading.main_thread()


def test_import_stays_light():
    code = "import sys, dspex_native, dspex_native.lm; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_custom_lm_client_is_reused_so_usage_adds_up():
    lm = RecordingLM("r")
    get_client(lm)(MESSAGES)
    get_client(lm)(MESSAGES)
    assert get_client(lm) is get_client(lm)
    assert get_client(lm).usage.total.calls == 2


def test_a_custom_lm_called_by_a_module_is_counted_in_its_clients_usage():
    from dspex_native.modules.predict import implementation as predict

    lm = RecordingLM("[[ ## a ## ]]\nok\n\n[[ ## completed ## ]]")
    state = predict.create("q -> a")
    assert predict.execute(state, {"q": "x"}, lm=lm).a == "ok"
    assert asyncio.run(predict.aexecute(state, {"q": "y"}, lm=lm)).a == "ok"
    usage = get_client(lm).usage
    assert usage.total.calls == 2 and usage.last.calls == 1 and usage.last.as_dict()["total_tokens"] == 0
    assert len(lm.calls) == 2


@pytest.mark.parametrize("reply", [None, 42, ("a", "b"), {"text": "a"}])
def test_a_custom_lm_reply_of_the_wrong_type_is_an_lm_error(reply):
    def odd(messages, **settings):
        return reply

    odd.model = "odd-model"
    client = get_client(odd)
    with pytest.raises(LMError) as info:
        client(MESSAGES)
    assert "'odd-model'" in str(info.value) and type(reply).__name__ in str(info.value)
    assert repr(reply) in str(info.value) and info.value.model == "odd-model"
    with pytest.raises(LMError):
        asyncio.run(client.acall(MESSAGES))


def test_what_a_custom_lm_raises_propagates_unchanged():
    class Broken(Exception):
        pass

    error = Broken("the LM's own failure")

    def broken(messages, **settings):
        raise error

    with pytest.raises(Broken) as info:
        get_client(broken)(MESSAGES)
    assert info.value is error


def test_the_custom_lm_client_imports_nothing_heavy():
    code = ("import sys, dspex_core; before = set(sys.modules); import dspex_native.lm.custom; "
            "print(sorted(m for m in ('asyncio', 'json', 'logging', 'httpx', 'dataclasses') "
            "if m in sys.modules and m not in before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_async_pools_of_closed_loops_are_dropped(local_lm_server_factory):
    from dspex_native.lm import _pool

    server = local_lm_server_factory("x")
    client = HTTPLMClient(lm_for(server))
    for _ in range(5):
        assert asyncio.run(client.acall(MESSAGES)) == ["x"]
    assert sum(1 for loop in list(_pool._async) if loop.is_closed()) <= 1


def test_rollout_id_with_zero_temperature_warns_like_dspy(local_lm_server_factory):
    server = local_lm_server_factory("x")
    client = HTTPLMClient(lm_for(server, temperature=0))
    with pytest.warns(UserWarning, match="rollout_id has no effect"):
        client(MESSAGES, rollout_id=1)


def test_sanitise_masks_key_shapes():
    from dspex_core.backend import redact as sanitise

    text = f"Bearer abc.def {SECRET} api_key=xyz123 'api-key': \"q9\" sk-proj-ABCDEFGH plain words"
    cleaned = sanitise(text, "plainsecret")
    for leaked in ("abc.def", SECRET, "xyz123", "q9", "sk-proj-ABCDEFGH"):
        assert leaked not in cleaned
    assert "plain words" in cleaned
    assert sanitise("x" * 1000, limit=10) == "x" * 10 + "..."


def test_unserialisable_settings_are_input_errors(local_lm_server_factory):
    server = local_lm_server_factory("x")
    with pytest.raises(InputError, match="JSON"):
        HTTPLMClient(lm_for(server))(MESSAGES, logit_bias=object())
    assert server.requests == []


@pytest.mark.parametrize("model", ["openai/o3-mini", "openai/gpt-5", "openai/o1-2024-12-17"])
def test_reasoning_models_refuse_what_dspy_lm_refuses(local_lm_server, model):
    for settings in ({"temperature": 0.7}, {"max_tokens": 4000}):
        with pytest.raises(ConfigError, match=r"reasoning models require temperature=1\.0 or None") as info:
            HTTPLMClient(LM(model, api_base=local_lm_server.url, api_key="sk-reasoning-test-key", **settings))
        assert model in str(info.value) and "sk-reasoning-test-key" not in str(info.value)
        assert local_lm_server.requests == []  # refused before any request
    client = HTTPLMClient(LM(model, api_base=local_lm_server.url, temperature=1.0, max_tokens=16000, cache=False))
    assert client([{"role": "user", "content": "hi"}])
    assert local_lm_server.chat_requests[-1]["body"]["max_completion_tokens"] == 16000
    # other models keep any temperature and max_tokens
    HTTPLMClient(LM("openai/gpt-5-chat", api_base=local_lm_server.url, temperature=0.7, max_tokens=100))
