"""Ollama's own API as the native client writes it on LiteLLM's route (``wire_ollama_litellm``,
``ollama_prompt``) against a local fake of Ollama (``/api/chat``, ``/api/generate``): URLs, headers,
bodies, replies and usage, and what is not built refused with a CapabilityError naming it.
(Requests are compared with dspy's in tests/parity/test_ollama_litellm_http.py.)"""

from __future__ import annotations

import pytest

from dspex_core import LM, CapabilityError, InputError, LMError
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.lm import clear_clients, get_client
from dspex_native.lm.ollama_prompt import prompt

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ("OLLAMA_API_BASE", "OLLAMA_API_KEY", "OLLAMA_CHAT_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    clear_clients()
    yield
    clear_clients()


@pytest.fixture(scope="module")
def server():
    with ProviderServer("ollama") as fake:
        yield fake


def _client(server, model="ollama_chat/llama3.2", **settings):
    settings.setdefault("engine", "litellm")
    return get_client(LM(model, api_base=server.url, cache=False, retry_base_delay=0, retry_max_delay=0,
                         **settings))


def test_chat_body_options_in_litellms_order_and_the_reply_with_usage(server):
    server.load(["<think>hmm</think>hello"])
    client = _client(server, stop="##", num_ctx=2048, seed=1, temperature=0.2, max_tokens=9, frequency_penalty=1.1,
                     keep_alive="1m", think=True)
    assert client(MESSAGES) == [{"text": "hello", "reasoning_content": "hmm"}]  # a leading think block: reasoning
    (sent,) = server.requests
    assert sent["path"] == "/api/chat" and "authorization" not in sent["headers"]
    assert sent["body"] == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "be brief", "images": []},
                     {"role": "user", "content": "hi", "images": []}],
        "options": {"temperature": 0.2, "stop": "##", "num_predict": 9, "repeat_penalty": 1.1, "seed": 1,
                    "num_ctx": 2048},
        "stream": False, "keep_alive": "1m", "think": True}
    assert list(sent["body"]["options"]) == ["temperature", "stop", "num_predict", "repeat_penalty", "seed", "num_ctx"]
    usage = client.usage.total
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 7, 18)


def test_two_lms_whose_settings_differ_only_in_order_send_each_its_own_order(server):
    """Ollama's options follow the order the settings were given in (LiteLLM's); a client shared by
    LMs equal but for that order would send the first one's order for both."""
    for settings in ({"num_ctx": 4096, "top_k": 1}, {"top_k": 1, "num_ctx": 4096}):
        server.load(["hello"])
        assert _client(server, **settings)(MESSAGES) == ["hello"]
        assert list(server.requests[0]["body"]["options"]) == list(settings)


def test_generate_body_the_prompt_template_and_keep_alive_as_an_option(server):
    server.load(["hello"])
    client = _client(server, model="ollama/llama3.2", frequency_penalty=0.5, keep_alive=0, reasoning_effort="low")
    assert client(MESSAGES) == ["hello"]
    (sent,) = server.requests
    assert sent["path"] == "/api/generate"
    assert sent["body"] == {"model": "llama3.2", "prompt": "### System:\nbe brief\n\n### User:\nhi\n\n",
                            "options": {"frequency_penalty": 0.5, "keep_alive": 0}, "stream": False, "images": [],
                            "think": True}


@pytest.mark.parametrize("model, effort, think", [("llama3.2", "low", True), ("llama3.2", "none", False),
                                                  ("llama3.2", "minimal", False), ("gpt-oss:20b", "low", "low")])
def test_reasoning_effort_is_think(server, model, effort, think):
    server.load(["ok"])
    _client(server, model=f"ollama_chat/{model}", reasoning_effort=effort)(MESSAGES)
    assert server.requests[0]["body"]["think"] == think


def test_response_format_is_format_on_api_chat(server):
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    server.load(["{}", "{}", "{}"])
    client = _client(server)
    client(MESSAGES, response_format={"type": "json_object"})
    client(MESSAGES, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    client(MESSAGES, response_format={"type": "text"})
    assert [r["body"].get("format") for r in server.requests] == ["json", schema, None]


@pytest.mark.parametrize("reply, text", [
    ('```json\n{"a": "é",\n "b": [1,2]}\n```', '{"a": "\\u00e9", "b": [1, 2]}'),  # fence off, json.dumps'd
    ('{"a":1}', '{"a": 1}'), ("  ", ""), ("<think>t</think>not json", {"text": "not json", "reasoning_content": "t"}),
    ("[1,2]", "[1, 2]")])
def test_a_json_reply_of_api_generate_is_rewritten_as_litellm_rewrites_it(server, reply, text):
    server.load([reply, reply])
    client = _client(server, model="ollama/llama3.2")
    assert client(MESSAGES, response_format={"type": "json_object"}) == [text]
    assert server.requests[-1]["body"]["format"] == "json"
    assert client(MESSAGES) == [reply if not reply.startswith("<think>") else text]  # no format: as is


def test_the_async_call_reads_a_json_reply_as_the_sync_call_does(server):
    import asyncio

    server.load(['```json\n{"a":1}\n```', '```json\n{"a":1}\n```'])
    client = _client(server, model="ollama/llama3.2")
    assert asyncio.run(client.acall(MESSAGES, format="json")) == ['{"a": 1}']
    assert asyncio.run(client.acall(MESSAGES)) == ['```json\n{"a":1}\n```']


def test_a_json_reply_litellm_reads_as_a_tool_call_is_an_error(server):
    server.load(['{"name": "f", "arguments": {}}'])
    with pytest.raises(LMError, match="tool call"):
        _client(server, model="ollama/llama3.2")(MESSAGES, format="json")


def test_the_base_url_and_the_key(server, monkeypatch):
    server.load(["a", "b", "c"])
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-key-0123456789")
    client = _client(server)
    assert client(MESSAGES) == ["a"]
    assert server.requests[-1]["headers"]["authorization"] == "Bearer ollama-key-0123456789"
    assert _client(server, api_key="given-key-0123456789")(MESSAGES) == ["b"]
    assert server.requests[-1]["headers"]["authorization"] == "Bearer given-key-0123456789"
    # api_base ending with the route is not extended; no api_base: OLLAMA_API_BASE, for ollama_chat/ too
    assert get_client(LM("ollama_chat/x", api_base=f"{server.url}/api/chat", engine="litellm"))._post().url == \
        f"{server.url}/api/chat"
    assert get_client(LM("ollama_chat/x", engine="litellm"))._post().url == "http://localhost:11434/api/chat"
    monkeypatch.setenv("OLLAMA_API_BASE", server.url)
    clear_clients()  # (clients are kept per LM; the variable is read when one is made)
    assert get_client(LM("ollama_chat/x", engine="litellm"))._post().url == f"{server.url}/api/chat"
    assert get_client(LM("ollama/x"))._post().url == f"{server.url}/api/generate"  # "auto": LiteLLM's route
    assert get_client(LM("ollama_chat/x"))._post().url == "http://localhost:11434/v1/chat/completions"  # lm15's


def test_errors_are_retried_and_read_from_ollamas_error_body(server):
    server.load(["ok"])
    server.fail(503, times=1)
    assert _client(server, num_retries=1)(MESSAGES) == ["ok"]
    assert len(server.requests) == 2
    server.load(["never"])
    server.fail(404, message='model "llama3.2" not found, try pulling it first')
    with pytest.raises(LMError, match="not found, try pulling it first") as info:
        _client(server, num_retries=3)(MESSAGES)
    assert info.value.status == 404 and len(server.requests) == 1


def test_replies_thinking_and_usage_as_litellm_reads_them(server):
    server.load([{"message": {"role": "assistant", "content": "<think>x</think>kept", "thinking": "t"}, "done": True,
                  "eval_count": 3},
                 {"response": "<think>x</think>\nanswer", "done": True, "prompt_eval_count": 5}])
    chat = _client(server)
    assert chat(MESSAGES) == [{"text": "<think>x</think>kept", "reasoning_content": "t"}]  # a thinking field:
    # the reasoning, and the content as it is
    assert chat.usage.total.total_tokens == 0  # no prompt_eval_count: LiteLLM's tokenizer count, not made here
    generate = _client(server, model="ollama/llama3.2")
    assert generate(MESSAGES) == [{"text": "\nanswer", "reasoning_content": "x"}]
    usage = generate.usage.total
    assert (usage.prompt_tokens, usage.completion_tokens) == (5, 0)  # no eval_count: 0, as LiteLLM counts


def test_a_reply_that_is_not_ollamas_or_calls_tools_is_an_error_not_retried(server):
    server.load([{"choices": []}, {"message": {"role": "assistant", "content": "",
                                                "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}}])
    with pytest.raises(LMError, match="not a ollama reply"):
        _client(server, num_retries=2)(MESSAGES)
    with pytest.raises(LMError, match="calls tools"):
        _client(server, num_retries=2)(MESSAGES)
    assert len(server.requests) == 2


@pytest.mark.parametrize("model, settings, match", [
    ("ollama_chat/x", {"frobnicate": 1}, "'frobnicate'"),
    ("ollama_chat/x", {"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ("ollama_chat/x", {"response_format": object()}, "response_format"),
])
def test_what_is_not_built_is_a_capability_error_before_sending(server, model, settings, match):
    server.load(["never"])
    with pytest.raises(CapabilityError, match=match):
        _client(server, model=model)(MESSAGES, **settings)
    assert server.requests == []


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"  # a PNG's first bytes, base64


def test_images_as_litellm_sends_them(server):
    parts = [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
             {"type": "text", "text": "this"}, {"type": "image_url", "image_url": "https://example.com/cat.png"}]
    server.load(["a", "b"])
    _client(server)([{"role": "user", "content": parts}])
    (message,) = server.requests[-1]["body"]["messages"]
    assert message == {"role": "user", "content": "seethis", "images": [PNG, "https://example.com/cat.png"]}
    _client(server, model="ollama/x")([{"role": "user", "content": parts[:3]}])
    body = server.requests[-1]["body"]
    assert (body["prompt"], body["images"]) == ("### User:\nsee\nthis\n\n", [PNG])


@pytest.mark.parametrize("model, messages", [
    ("ollama/x", [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://e.com/a.png"}}]}]),
    ("ollama/x", [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/gif;base64,"
                                                                                          "R0lGODlhAQABAAAAACw="}}]}]),
    ("ollama_chat/x", [{"role": "user", "content": "q"}, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]),
    ("ollama/x", [{"role": "user", "content": "q"}, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]),
])
def test_what_litellm_downloads_or_converts_and_tool_messages_are_a_capability_error(server, model, messages):
    server.load(["never"])
    with pytest.raises(CapabilityError):
        _client(server, model=model)(messages)
    assert server.requests == []


@pytest.mark.parametrize("model, route", [("ollama_chat/llama3.2", "/api/chat"), ("ollama/llama3.2", "/api/generate")])
def test_a_streamed_call_sends_stream_true_and_reads_the_lines(server, model, route):
    # (the reading of each line is compared with dspy's in tests/parity/test_streaming_litellm_wires_parity.py)
    from dspex_native.lm.streaming import LMStream

    server.load(["hello there, streamed"])
    client = _client(server, model=model)
    stream = LMStream(client, MESSAGES, {"temperature": 0.5})
    pieces = list(stream)
    assert len(pieces) > 1 and "".join(pieces) == "hello there, streamed"
    assert stream.completions == ["hello there, streamed"]
    (request,) = server.requests
    assert request["path"] == route and request["body"]["stream"] is True
    assert request["body"]["options"] == {"temperature": 0.5}
    assert (client.usage.total.prompt_tokens, client.usage.total.completion_tokens) == (11, 7)


def test_litellms_prompt_template():
    assert prompt([{"role": "user", "content": "a"}, {"role": "tool", "content": [{"type": "text", "text": "b"},
                                                                                  {"type": "text", "text": "c"}]},
                   {"role": "system", "content": "s1"}, {"role": "system", "content": [{"type": "text", "text": "s2"}]},
                   {"role": "assistant", "content": "x"}, {"role": "assistant", "content": "y"},
                   {"role": "user", "content": ""}, {"role": "assistant", "content": None}]) == \
        ("### User:\na\nb\nc\n\n### System:\ns1s2\n\n### Assistant:\nxy\n\n", [])
    with pytest.raises(InputError, match="'developer'"):
        prompt([{"role": "developer", "content": "d"}])
