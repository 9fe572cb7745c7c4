"""The local OpenAI-compatible test server: answers, n, usage, recording, faults, shutdown."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from dspex_core.testing import RecordingLM
from dspex_core.testing.fixtures import local_lm_server, local_lm_server_factory  # noqa: F401 - fixtures
from dspex_core.testing.server import LocalLMServer

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "say hi please"}]


def post(server: LocalLMServer, body: dict, path: str = "/v1/chat/completions", **kw) -> httpx.Response:
    return httpx.post(server.base_url + path, json=body, timeout=kw.pop("timeout", 10), **kw)


def test_url_and_default_reply(local_lm_server):
    assert local_lm_server.url.startswith("http://127.0.0.1:")
    assert local_lm_server.url.endswith("/v1")
    reply = post(local_lm_server, {"model": "m", "messages": MESSAGES})
    assert reply.status_code == 200
    data = reply.json()
    assert data["model"] == "m"
    assert data["id"].startswith("chatcmpl-")
    assert data["choices"][0]["message"]["content"] == "[[ ## answer ## ]]\nlocal reply\n\n[[ ## completed ## ]]"
    assert data["choices"][0]["finish_reason"] == "stop"


def test_both_paths_served(local_lm_server_factory):
    server = local_lm_server_factory("hey")
    for path in ("/v1/chat/completions", "/chat/completions"):
        assert post(server, {"messages": MESSAGES}, path).json()["choices"][0]["message"]["content"] == "hey"
    assert post(server, {"messages": MESSAGES}, "/v1/nothing").status_code == 404


def test_a_message_dict_reply_answers_with_tool_calls(local_lm_server_factory):
    calls = [{"id": "call_1", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}}]
    server = local_lm_server_factory(lambda messages, settings: [{"tool_calls": calls}, "plain", {"content": "t"}])
    choices = post(server, {"messages": MESSAGES, "n": 3}).json()["choices"]
    assert choices[0]["message"] == {"role": "assistant", "content": None, "tool_calls": calls}
    assert choices[0]["finish_reason"] == "tool_calls"
    assert choices[1]["message"] == {"role": "assistant", "content": "plain"}
    assert (choices[2]["message"], choices[2]["finish_reason"]) == ({"role": "assistant", "content": "t"}, "stop")
    streamed = post(server, {"messages": MESSAGES, "stream": True}).text  # the calls as delta.tool_calls pieces
    assert '"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"search"' in streamed
    assert '"finish_reason":"tool_calls"' in streamed
    odd = local_lm_server_factory(lambda messages, settings: [{"content": ["a part"]}])
    assert post(odd, {"messages": MESSAGES, "stream": True}).status_code == 500  # text and calls only


def test_usage_counts_are_consistent(local_lm_server_factory):
    server = local_lm_server_factory("one two three")
    usage = post(server, {"messages": MESSAGES, "n": 2}).json()["usage"]
    assert usage["prompt_tokens"] == 5
    assert usage["completion_tokens"] == 6
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_positional_responder_gets_settings(local_lm_server_factory):
    seen = []

    def responder(messages, settings):
        seen.append(settings)
        return [f"reply {i}" for i in range(settings.get("n", 1))]

    server = local_lm_server_factory(responder)
    data = post(server, {"model": "m", "messages": MESSAGES, "n": 3, "temperature": 0.5}).json()
    assert [c["message"]["content"] for c in data["choices"]] == ["reply 0", "reply 1", "reply 2"]
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert seen == [{"n": 3, "temperature": 0.5}]


def test_recording_lm_as_responder_and_n(local_lm_server_factory):
    lm = RecordingLM(["a", "b", "c"])
    server = local_lm_server_factory(lm)
    data = post(server, {"messages": MESSAGES, "n": 3, "temperature": 1.0}).json()
    assert [c["message"]["content"] for c in data["choices"]] == ["a", "b", "c"]
    assert lm.calls[0].messages == MESSAGES
    assert lm.calls[0].settings == {"n": 3, "temperature": 1.0}


def test_short_reply_list_is_cycled_to_n(local_lm_server_factory):
    server = local_lm_server_factory(lambda messages, settings: "same")
    data = post(server, {"messages": MESSAGES, "n": 4}).json()
    assert [c["message"]["content"] for c in data["choices"]] == ["same"] * 4


def test_requests_recorded_without_credentials(local_lm_server):
    post(local_lm_server, {"model": "m", "messages": MESSAGES},
         headers={"Authorization": "Bearer sk-secret-123", "X-Trace": "t1"})
    post(local_lm_server, {"model": "m", "messages": MESSAGES})
    first, second = local_lm_server.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["body"] == {"model": "m", "messages": MESSAGES}
    assert first["auth"] is True and second["auth"] is False
    assert first["headers"]["authorization"] == "<redacted>"
    assert first["headers"]["x-trace"] == "t1"
    assert "sk-secret-123" not in repr(local_lm_server.requests)
    assert "sk-secret-123" not in repr(local_lm_server)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_injected_status_then_success(local_lm_server, status):
    local_lm_server.inject(status=status, times=2, retry_after=1)
    replies = [post(local_lm_server, {"messages": MESSAGES}) for _ in range(3)]
    assert [r.status_code for r in replies] == [status, status, 200]
    assert replies[0].headers["Retry-After"] == "1"
    assert "error" in replies[0].json()
    assert [r["fault"] for r in local_lm_server.requests] == [str(status), str(status), None]
    assert local_lm_server.pending_faults == 0


def test_faults_are_applied_in_order(local_lm_server):
    local_lm_server.inject(status=500).inject(status=429)
    codes = [post(local_lm_server, {"messages": MESSAGES}).status_code for _ in range(3)]
    assert codes == [500, 429, 200]


def test_delay_exceeding_client_timeout(local_lm_server):
    local_lm_server.inject(delay=2.0)
    with pytest.raises(httpx.ReadTimeout):
        post(local_lm_server, {"messages": MESSAGES}, timeout=0.2)
    assert post(local_lm_server, {"messages": MESSAGES}).status_code == 200


def test_drop_closes_without_response(local_lm_server):
    local_lm_server.inject(drop=True)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post(local_lm_server, {"messages": MESSAGES})
    assert post(local_lm_server, {"messages": MESSAGES}).status_code == 200
    assert [r["fault"] for r in local_lm_server.requests] == ["drop", None]


def test_bad_requests_are_rejected(local_lm_server):
    assert post(local_lm_server, {"nomessages": 1}).status_code == 400
    assert post(local_lm_server, {"messages": MESSAGES, "n": 0}).status_code == 400
    bad = httpx.post(local_lm_server.url + "/chat/completions", content=b"{not json", timeout=10)
    assert bad.status_code == 400


def test_oversized_body_is_refused(local_lm_server_factory):
    server = local_lm_server_factory(max_body_bytes=100)
    reply = post(server, {"messages": [{"role": "user", "content": "x" * 500}]})
    assert reply.status_code == 413


def test_responder_failure_is_a_500(local_lm_server_factory):
    def broken(messages, settings):
        raise RuntimeError("boom")

    reply = post(local_lm_server_factory(broken), {"messages": MESSAGES})
    assert reply.status_code == 500
    assert "boom" in reply.json()["error"]["message"]


def test_invalid_injections_are_refused(local_lm_server):
    with pytest.raises(ValueError):
        local_lm_server.inject()
    with pytest.raises(ValueError):
        local_lm_server.inject(status=200)
    with pytest.raises(ValueError):
        local_lm_server.inject(status=500, times=0)


def test_concurrent_requests_are_all_recorded(local_lm_server_factory):
    server = local_lm_server_factory("ok", latency=0.01)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        results = []

        def worker():
            for _ in range(8):
                results.append(client.post("/chat/completions", json={"messages": MESSAGES}).status_code)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 64
    assert len(server.requests) == 64


def test_stop_is_clean_with_open_keepalive_and_pending_delay():
    server = LocalLMServer("ok").start()
    port = server.port
    client = httpx.Client(base_url=server.url, timeout=10)
    assert client.post("/chat/completions", json={"messages": MESSAGES}).status_code == 200  # keep-alive open
    server.inject(delay=30)
    errors = []

    def slow():
        try:
            client.post("/chat/completions", json={"messages": MESSAGES})
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    while len(server.requests) < 2:
        thread.join(0.01)
    server.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert errors  # the delayed request was cut off, not answered
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    client.close()
    server.stop()  # idempotent


def test_restart_and_context_manager():
    server = LocalLMServer("x")
    with server:
        assert post(server, {"messages": MESSAGES}).status_code == 200
    with pytest.raises(RuntimeError):
        server.url
    with server:
        assert post(server, {"messages": MESSAGES}).status_code == 200


def test_fixture_module_imports_without_hypothesis_or_httpx():
    import subprocess
    import sys

    code = ("import sys, dspex_core.testing.fixtures, dspex_core.testing.server; "
            "print('hypothesis' in sys.modules, 'httpx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
