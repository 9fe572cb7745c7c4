"""The native LM client's HTTP/1.1 transport (dspex_native.lm._http, ._http_wire): connection reuse,
servers that close kept-alive connections, replies cut short, timeouts in the middle of a body
(nothing left open), reply framing (lengths, chunks, gzip) however the bytes are split, the request
head, and the httpx transport kept for proxied endpoints."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from dspex_core import LM, InputError, LMError, LMTimeoutError
from dspex_native.lm import HTTPLMClient, _pool
from dspex_native.lm._http import AsyncConnectionPool, ConnectionPool
from dspex_native.lm._http_wire import BodyReader, Post, RemoteProtocolError, parse_head

MESSAGES = [{"role": "user", "content": "hello"}]
FAST = {"retry_base_delay": 0.001, "retry_max_delay": 0.01, "cache": False}


def completion(text: str = "ok") -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


def reply(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in ("HTTP/1.1 200 OK", "Content-Type: application/json", *headers))
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


class ScriptedServer:
    """A server on 127.0.0.1 whose connections are served by ``script(server, conn, number)``
    (the connection's number from 0), each in its own thread; it counts connections and requests,
    and sets ``closed_by_client`` when a script sees the client close its connection."""

    def __init__(self, script):
        self.script = script
        self.connections = 0
        self.requests: list[dict] = []
        self.closed_by_client = threading.Event()
        self.served = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            number, self.connections = self.connections, self.connections + 1
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        with conn:
            try:
                self.script(self, conn, number)
            except OSError:
                pass

    def read_request(self, conn: socket.socket, buffer: bytearray) -> dict | None:
        """The next request on ``conn`` (``None`` once the client closed it)."""
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return None
            buffer += data
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers["content-length"])
        while len(rest) < length:
            rest += conn.recv(65536)
        buffer[:] = rest[length:]
        request = {"line": lines[0], "headers": headers, "body": json.loads(rest[:length])}
        self.requests.append(request)
        return request

    def wait_for_client_close(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        while conn.recv(65536):
            pass
        self.closed_by_client.set()

    def close(self) -> None:
        self._listener.close()
        for conn in self._conns:  # ends the scripts still reading a connection the client keeps
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=30)


@pytest.fixture
def scripted():
    servers = []

    def make(script):
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield make
    for server in servers:
        server.close()
    _pool.close_all()


def client_for(server, **settings) -> HTTPLMClient:
    return HTTPLMClient(LM("openai/test-model", api_base=server.url, **{**FAST, **settings}))


def keep_alive(server, conn, number):
    """Answer every request on the connection, keeping it open."""
    buffer = bytearray()
    while server.read_request(conn, buffer) is not None:
        conn.sendall(reply(completion(f"ok {len(server.requests)}")))


def pool_of(client: HTTPLMClient):
    return _pool.sync_transport(client._pool_key(client._prepare(MESSAGES, {})[1]), client._post())


# -- connections --------------------------------------------------------------------------------

def test_sequential_calls_reuse_one_connection(scripted):
    server = scripted(keep_alive)
    client = client_for(server)
    assert [client(MESSAGES)[0] for _ in range(5)] == [f"ok {i}" for i in range(1, 6)]
    assert server.connections == 1 and pool_of(client).opened == 1
    line, headers = server.requests[0]["line"], server.requests[0]["headers"]
    assert line == "POST /v1/chat/completions HTTP/1.1"
    assert set(headers) == {"host", "user-agent", "content-type", "content-length"}
    assert headers["user-agent"].startswith("dspex-native/")


def test_async_calls_reuse_one_connection_per_event_loop(scripted):
    server = scripted(keep_alive)
    client = client_for(server)

    async def calls():
        return [(await client.acall(MESSAGES))[0] for _ in range(4)]

    assert asyncio.run(calls()) == [f"ok {i}" for i in range(1, 5)]
    assert server.connections == 1
    assert asyncio.run(calls()) == [f"ok {i}" for i in range(5, 9)]
    assert server.connections == 2  # a new loop: the old loop's connection is not used on it


def test_connection_close_in_the_reply_is_honoured(scripted):
    def one_per_connection(server, conn, number):
        server.read_request(conn, bytearray())
        conn.sendall(reply(completion(), "Connection: close"))

    server = scripted(one_per_connection)
    client = client_for(server, num_retries=0)
    assert [client(MESSAGES) for _ in range(3)] == [["ok"]] * 3
    assert server.connections == 3 and len(server.requests) == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_idle_connection_the_server_closed_is_not_reused(scripted, mode):
    """A server that drops kept-alive connections (an idle timeout) without saying so: the next
    call opens a new one; no request is lost, repeated or counted as a failed attempt."""
    def answer_then_close(server, conn, number):
        server.read_request(conn, bytearray())
        conn.sendall(reply(completion(f"ok {number}")))
        conn.shutdown(socket.SHUT_RDWR)
        server.served.set()

    server = scripted(answer_then_close)
    client = client_for(server, num_retries=0)

    async def acalls():
        out = []
        for _ in range(3):
            server.served.clear()
            out.append((await client.acall(MESSAGES))[0])
            await asyncio.get_running_loop().run_in_executor(None, server.served.wait, 30)
            await asyncio.sleep(0)  # the loop reads the connection's end before the next call
        return out

    if mode == "sync":
        out = []
        for _ in range(3):
            server.served.clear()
            out.append(client(MESSAGES)[0])
            server.served.wait(30)
    else:
        out = asyncio.run(acalls())
    assert out == ["ok 0", "ok 1", "ok 2"]
    assert server.connections == 3 and len(server.requests) == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_reply_cut_short_is_a_connection_error_and_retried_on_a_new_connection(scripted, mode):
    def half_then_whole(server, conn, number):
        server.read_request(conn, bytearray())
        if number == 0:
            body = completion("first")
            conn.sendall(reply(body)[:-len(body) // 2])  # half the body, then the connection closes
        else:
            conn.sendall(reply(completion("second")))

    server = scripted(half_then_whole)
    call = (lambda c: c(MESSAGES)) if mode == "sync" else (lambda c: asyncio.run(c.acall(MESSAGES)))
    assert call(client_for(server, num_retries=1)) == ["second"]
    assert server.connections == 2 and len(server.requests) == 2

    server = scripted(half_then_whole)
    with pytest.raises(LMError, match="connection error: RemoteProtocolError: the server closed the connection "
                                      "before the whole reply arrived") as info:
        call(client_for(server, num_retries=0))
    assert info.value.attempts == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_timeout_in_the_middle_of_a_body_closes_the_connection(scripted, mode):
    def stall_mid_body(server, conn, number):
        server.read_request(conn, bytearray())
        body = completion()
        conn.sendall(reply(body)[:-10])  # all but the last bytes, then nothing more
        server.wait_for_client_close(conn)

    server = scripted(stall_mid_body)
    client = client_for(server, num_retries=0, timeout=0.3)
    with pytest.raises(LMTimeoutError, match="timed out after 1 attempt"):
        client(MESSAGES) if mode == "sync" else asyncio.run(client.acall(MESSAGES))
    assert server.closed_by_client.wait(30)  # the client closed the connection it gave up on
    if mode == "sync":
        assert not pool_of(client)._idle


# -- reply framing --------------------------------------------------------------------------------

def framed(body: bytes, framing: str, chunk_sizes: list[int]) -> tuple[bytes, bytes]:
    """``(head, wire bytes of the body)`` for ``body`` sent with ``framing``."""
    if framing == "length":
        return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode(), body
    if framing == "gzip":
        packed = gzip.compress(body)
        return f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(packed)}\r\n\r\n".encode(), packed
    if framing == "deflate":
        packed = zlib.compress(body)
        return f"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: {len(packed)}\r\n\r\n".encode(), packed
    wire, at = b"", 0
    for size in chunk_sizes:
        piece = body[at:at + size]
        at += size
        if piece:
            wire += b"%x;ext=1\r\n%s\r\n" % (len(piece), piece)
    if at < len(body):
        wire += b"%x\r\n%s\r\n" % (len(body) - at, body[at:])
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", wire + b"0\r\nX-Trailer: 1\r\n\r\n"


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=300), framing=st.sampled_from(["length", "chunked", "gzip", "deflate"]),
       chunk_sizes=st.lists(st.integers(1, 50), max_size=8), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_the_body_is_read_whole_however_the_bytes_are_split(body, framing, chunk_sizes, cuts):
    head, wire = framed(body, framing, chunk_sizes)
    status, headers, keep_alive, size = parse_head(bytearray(head))
    assert (status, keep_alive, size) == (200, True, len(head))
    reader = BodyReader(status, headers, keep_alive)
    points = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    out = b"".join(reader.feed(wire[a:b]) for a, b in zip(points, points[1:]))
    assert out == body and reader.done and reader.reusable


def test_reply_heads():
    assert parse_head(bytearray(b"HTTP/1.1 200 OK\r\nContent-Le")) is None
    head = bytearray(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nX-A: 1\r\nx-a: 2\r\n"
                     b"Connection: close\r\n\r\nrest")
    status, headers, keep_alive, size = parse_head(head)
    assert (status, headers.get("retry-after"), headers["X-A"], keep_alive, head[size:]) == (429, "3", "1, 2", False, b"rest")
    assert parse_head(bytearray(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"))[2] is True
    assert parse_head(bytearray(b"HTTP/1.0 200 OK\r\n\r\n"))[2] is False
    for bad in (b"SSH-2.0-x\r\n\r\n", b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", b"HTTP/2 200\r\n\r\n"):
        with pytest.raises(RemoteProtocolError):
            parse_head(bytearray(bad))
    until_close = BodyReader(200, parse_head(bytearray(b"HTTP/1.1 200 OK\r\n\r\n"))[1], True)
    assert until_close.feed(b"abc") == b"abc" and not until_close.done
    until_close.end_of_stream()
    assert until_close.done and not until_close.reusable
    short = BodyReader(200, parse_head(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"))[1], True)
    short.feed(b"abc")
    with pytest.raises(RemoteProtocolError, match="before the whole reply"):
        short.end_of_stream()
    extra = BodyReader(200, parse_head(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"))[1], True)
    assert extra.feed(b"abXYZ") == b"ab" and extra.done and not extra.reusable  # unasked bytes: not reused


def test_request_head_and_bad_headers():
    post = Post("http://h.example:8080/v1/chat/completions?api-version=1", {"Authorization": "Bearer k",
                                                                           "User-Agent": "mine/1"}, "dspex-native/0")
    assert post.request(b"{}") == (b"POST /v1/chat/completions?api-version=1 HTTP/1.1\r\nHost: h.example:8080\r\n"
                                   b"Authorization: Bearer k\r\nUser-Agent: mine/1\r\nContent-Length: 2\r\n\r\n{}")
    assert Post("https://h.example/x", {}, "a").head.startswith(b"POST /x HTTP/1.1\r\nHost: h.example\r\n")
    with pytest.raises(InputError, match="'X-Key'") as info:
        Post("http://h/x", {"X-Key": "secret-value\r\nEvil: 1"}, "a")
    assert "secret-value" not in str(info.value)
    assert b"\r\nhost: virtual.example\r\n" in Post("http://h/x", {"host": "virtual.example"}, "a").head
    assert b"Host: h\r\n" not in Post("http://h/x", {"host": "virtual.example"}, "a").head
    with pytest.raises(InputError, match="with a host") as info:
        Post("http://u:pw-secret@h:99999/x", {}, "a")
    assert "pw-secret" not in str(info.value)
    with pytest.raises(InputError, match="non-ASCII"):
        Post("http://h/x", {"X-Name": "caf\u00e9"}, "a")


# -- the proxied route -----------------------------------------------------------------------------

def test_a_proxied_endpoint_goes_through_httpx(monkeypatch, scripted):
    server = scripted(keep_alive)
    client = client_for(server)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert isinstance(pool_of(client), _pool.ProxiedTransport)
    _pool.close_all()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert isinstance(pool_of(client), ConnectionPool)
    _pool.close_all()
    # the httpx route itself (no proxy to reach here, so httpx goes direct): same replies, sync and async
    monkeypatch.setattr(_pool, "_proxied", lambda scheme, host: True)
    assert client(MESSAGES) == ["ok 1"]
    assert asyncio.run(client.acall(MESSAGES)) == ["ok 2"]
    assert isinstance(pool_of(client), _pool.ProxiedTransport)


def test_https_pools_trust_what_httpx_trusts():
    assert ConnectionPool("https", "h.example", 443)._ssl.check_hostname is True
    assert ConnectionPool("http", "h.example", 80)._ssl is None

    async def make():
        return AsyncConnectionPool("https", "h.example", 443)._ssl.verify_mode

    import ssl

    assert asyncio.run(make()) == ssl.CERT_REQUIRED
