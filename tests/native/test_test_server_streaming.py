"""The local test server's streamed answers: OpenAI's server-sent events, and faults mid-stream."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from dspex_core.testing.server import LocalLMServer

MESSAGES = [{"role": "user", "content": "say hi please"}]
REPLY = "[[ ## answer ## ]]\nhello world\n\n[[ ## completed ## ]]"


def events(server: LocalLMServer, body: dict) -> tuple[httpx.Response, list]:
    """The response and its events' data, parsed (``"[DONE]"`` kept as is)."""
    with httpx.stream("POST", server.url + "/chat/completions", json=body, timeout=10) as response:
        lines = [line for line in response.iter_lines() if line]
    out = []
    for line in lines:
        assert line.startswith("data: ")
        data = line[len("data: "):]
        out.append(data if data == "[DONE]" else json.loads(data))
    return response, out


def text_of(found: list) -> str:
    return "".join(e["choices"][0]["delta"].get("content", "") for e in found
                   if isinstance(e, dict) and e.get("choices"))


def test_a_streamed_answer_is_openais_event_stream():
    with LocalLMServer(REPLY, stream_chunk_size=4) as server:
        response, found = events(server, {"model": "m", "messages": MESSAGES, "stream": True})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        assert found[-1] == "[DONE]"
        first, *middle, last = found[:-1]
        assert first["object"] == "chat.completion.chunk" and first["model"] == "m"
        assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        assert [len(e["choices"][0]["delta"]["content"]) for e in middle][:-1] == [4] * (len(middle) - 1)
        assert last["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
        assert text_of(found) == REPLY
        assert len({e["id"] for e in found[:-1]}) == 1
        assert not any("usage" in e for e in found[:-1])  # not asked for
        assert server.chat_requests[0]["body"]["stream"] is True


def test_usage_comes_last_when_asked_for():
    with LocalLMServer(REPLY) as server:
        _, found = events(server, {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}})
        usage_event = found[-2]
        assert usage_event["choices"] == []
        plain = httpx.post(server.url + "/chat/completions", json={"messages": MESSAGES}, timeout=10).json()
        assert usage_event["usage"] == plain["usage"]


def test_a_function_cuts_the_reply_and_n_streams_each_choice():
    with LocalLMServer(lambda messages, settings: ["one two", "three"],
                       stream_chunk_size=lambda text: [text[:3], text[3:]]) as server:
        _, found = events(server, {"messages": MESSAGES, "stream": True, "n": 2})
        pieces = [(e["choices"][0]["index"], e["choices"][0]["delta"].get("content")) for e in found[:-1]]
        assert [p for p in pieces if p[1]] == [(0, "one"), (0, " two"), (1, "thr"), (1, "ee")]
    with pytest.raises(ValueError, match="stream_chunk_size"):
        LocalLMServer(stream_chunk_size=0)


def test_a_chunker_must_keep_the_text():
    with LocalLMServer("one two", stream_chunk_size=lambda t: t.split(" ")) as server:
        reply = httpx.post(server.url + "/chat/completions", json={"messages": MESSAGES, "stream": True}, timeout=10)
        assert reply.status_code == 500 and "do not join" in reply.text  # the pieces lose the space
    with LocalLMServer("one two", stream_chunk_size=lambda t: [t[:3], t[3:]]) as server:
        _, found = events(server, {"messages": MESSAGES, "stream": True})
        assert text_of(found) == "one two"


def test_the_connection_drops_after_n_chunks_then_serves_again():
    with LocalLMServer(REPLY, stream_chunk_size=5) as server:
        server.inject(after_chunks=2)
        received = []
        with pytest.raises(httpx.RemoteProtocolError):
            with httpx.stream("POST", server.url + "/chat/completions",
                              json={"messages": MESSAGES, "stream": True}, timeout=10) as response:
                for line in response.iter_lines():
                    received.append(line)
        data = [json.loads(line[6:]) for line in received if line.startswith("data: ")]
        assert text_of(data) == REPLY[:10]
        _, found = events(server, {"messages": MESSAGES, "stream": True})
        assert text_of(found) == REPLY
        assert [r["fault"] for r in server.requests] == ["stream_drop", None]


def test_an_error_event_ends_the_stream():
    with LocalLMServer(REPLY, stream_chunk_size=5) as server:
        server.inject(after_chunks=1, stream_error="overloaded")
        _, found = events(server, {"messages": MESSAGES, "stream": True})
        assert text_of(found[:-1]) == REPLY[:5]
        assert found[-1]["error"]["message"] == "overloaded"
        server.inject(stream_error="at once")  # before the first piece of text
        _, found = events(server, {"messages": MESSAGES, "stream": True})
        assert text_of(found) == "" and found[-1]["error"]["message"] == "at once"
        # a request that does not stream gets its answer whole, fault or not
        server.inject(after_chunks=0)
        plain = httpx.post(server.url + "/chat/completions", json={"messages": MESSAGES}, timeout=10)
        assert plain.json()["choices"][0]["message"]["content"] == REPLY


def test_an_error_event_leaves_the_connection_usable():
    # The body ends whole (its last chunk written), so the connection is kept, as a provider keeps
    # it; a server that closed it unannounced raced the client's next request on the pooled
    # connection, which then failed without reaching the server.
    import http.client
    from urllib.parse import urlsplit

    with LocalLMServer(REPLY, stream_chunk_size=5) as server:
        server.inject(stream_error="overloaded")
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=10)
        body = json.dumps({"messages": MESSAGES, "stream": True})
        for _ in range(2):
            connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Connection") != "close"
            response.read()
            time.sleep(0.05)  # time for a closing server to close
        connection.close()
        assert [r["fault"] for r in server.requests] == ["stream_error", None]


def test_stream_faults_are_checked():
    with pytest.raises(ValueError, match="after_chunks"):
        LocalLMServer().inject(after_chunks=1, status=500)
    with pytest.raises(ValueError, match="after_chunks"):
        LocalLMServer().inject(after_chunks=-1)
