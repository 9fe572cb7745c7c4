"""The LM client's transport: kept-alive HTTP/1.1 connections to one origin, for threads and asyncio.

Why not httpx underneath: an LM call's own work is small, so under concurrency the client's CPU
per request is what shows (the GIL serialises it). httpx's request and response models, httpcore's
pool and h11's state machine cost about 0.2 ms a request (more with anyio under asyncio) and send
the head and the body in two writes; this transport writes the prebuilt request at once
(:class:`~._http_wire.Post`) and reads the reply with :mod:`._http_wire`. It does only what the
LM client needs: POST to one origin, over TCP or TLS (the SSL context httpx would make, so the
same certificates are trusted), no proxy (:mod:`._pool` hands a proxied endpoint to httpx).

:class:`ConnectionPool` (threads) and :class:`AsyncConnectionPool` (one event loop) keep idle
connections (at most ``max_idle``) and open more as needed, never waiting for one. An idle
connection the server has closed is noticed before reuse and dropped. ``send`` returns a
:class:`Response` once the head is in; its body is read by ``iter_bytes()`` (``aiter_bytes()``)
and ``close()`` (``aclose()``) puts the connection back only when the whole reply was read and
the server keeps it alive; anything else (an error, a timeout, a reply left half read, a
cancelled task) closes it. Sync waits are bounded by ``remaining()`` (seconds left, ``None``
for no limit) before each connect, write and read; async callers bound the whole exchange
(``asyncio.timeout``) and a cancellation closes the connection. Errors are
:class:`~._http_wire.TransportError` subclasses.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections import deque
from typing import Any, Callable, Iterator

from dspex_native.lm._http_wire import (BodyReader, ConnectError, ConnectTimeout, Headers, Post, ReadError,
                                        ReadTimeout, RemoteProtocolError, TransportError, WriteError,
                                        WriteTimeout, parse_head)

Remaining = Callable[[], "float | None"]

_READ_SIZE = 256 * 1024


def ssl_context() -> ssl.SSLContext:
    """The TLS settings httpx uses (certifi's roots, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    for HTTP/1.1."""
    import httpx

    context = httpx.create_ssl_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _seconds(remaining: Remaining, timeout: type[TransportError]) -> float | None:
    left = remaining()
    if left is not None and left <= 0:
        raise timeout("timed out")
    return left


def _gone(sock: socket.socket) -> bool:
    """Whether an idle connection cannot carry a request: the server closed it or sent
    something unasked (either shows as readable)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class Response:
    """A reply whose head is in: ``status_code``, ``headers``; the body through :meth:`iter_bytes`."""

    __slots__ = ("status_code", "headers", "_pool", "_sock", "_buffer", "_body", "_remaining")

    def __init__(self, pool: ConnectionPool, sock: socket.socket, status: int, headers: Headers,
                 body: BodyReader, rest: bytes, remaining: Remaining):
        self.status_code, self.headers = status, headers
        self._pool, self._sock, self._body, self._buffer, self._remaining = pool, sock, body, rest, remaining

    def iter_bytes(self) -> Iterator[bytes]:
        """The body's bytes as they arrive (each read waits at most the time left)."""
        body, sock = self._body, self._sock
        data, self._buffer = self._buffer, b""
        while True:
            if data:
                piece = body.feed(data)
                if piece:
                    yield piece
            if body.done:
                return
            try:
                sock.settimeout(_seconds(self._remaining, ReadTimeout))
                data = sock.recv(_READ_SIZE)
            except socket.timeout:
                raise ReadTimeout("timed out") from None
            except OSError as exc:
                raise ReadError(str(exc) or type(exc).__name__) from None
            if not data:
                body.end_of_stream()
                return

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        """Back to the pool if the whole reply was read and the server keeps the connection; closed if not."""
        sock, self._sock = self._sock, None
        if sock is not None:
            if self._body.done and self._body.reusable:
                self._pool._release(sock)
            else:
                sock.close()


class ConnectionPool:
    """Kept-alive connections to one origin, shared by threads (see the module docstring)."""

    def __init__(self, scheme: str, host: str, port: int, *, max_idle: int = 128):
        self.scheme, self.host, self.port, self.max_idle = scheme, host, port, max_idle
        self._idle: deque[socket.socket] = deque()
        self._ssl = ssl_context() if scheme == "https" else None
        self.opened = 0  #: connections opened so far (reuse shows as few)

    def send(self, post: Post, content: bytes, remaining: Remaining) -> Response:
        """Send ``post`` with ``content``; the :class:`Response` once its head is in."""
        request = post.request(content)
        sock = self._connection(remaining)
        try:
            try:
                sock.settimeout(_seconds(remaining, WriteTimeout))
                sock.sendall(request)
            except socket.timeout:
                raise WriteTimeout("timed out") from None
            except OSError as exc:
                raise WriteError(str(exc) or type(exc).__name__) from None
            buffer = bytearray()
            while True:
                try:
                    sock.settimeout(_seconds(remaining, ReadTimeout))
                    data = sock.recv(_READ_SIZE)
                except socket.timeout:
                    raise ReadTimeout("timed out") from None
                except OSError as exc:
                    raise ReadError(str(exc) or type(exc).__name__) from None
                if not data:
                    raise RemoteProtocolError("the server closed the connection without sending a reply")
                buffer += data
                head = parse_head(buffer)
                if head is not None:
                    status, headers, keep_alive, size = head
                    return Response(self, sock, status, headers, BodyReader(status, headers, keep_alive),
                                    bytes(buffer[size:]), remaining)
        except BaseException:
            sock.close()
            raise

    def _connection(self, remaining: Remaining) -> socket.socket:
        idle = self._idle
        while idle:
            try:
                sock = idle.pop()
            except IndexError:
                break
            if not _gone(sock):
                return sock
            sock.close()
        timeout = _seconds(remaining, ConnectTimeout)
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except socket.timeout:
            raise ConnectTimeout("timed out") from None
        except OSError as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl is not None:
                sock.settimeout(_seconds(remaining, ConnectTimeout))
                sock = self._ssl.wrap_socket(sock, server_hostname=self.host)
        except socket.timeout:
            sock.close()
            raise ConnectTimeout("timed out during the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise ConnectError(str(exc) or type(exc).__name__) from None
        self.opened += 1
        return sock

    def _release(self, sock: socket.socket) -> None:
        if len(self._idle) < self.max_idle:
            self._idle.append(sock)
        else:
            sock.close()

    def close(self) -> None:
        """Close the idle connections (those in use close when their replies are closed)."""
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:
                break


class _Protocol(asyncio.Protocol):
    """One async connection's bytes: gathered as they arrive, a waiting reader woken."""

    __slots__ = ("transport", "buffer", "closed", "error", "_waiter")

    def __init__(self) -> None:
        self.transport: Any = None
        self.buffer = bytearray()
        self.closed = False
        self.error: Exception | None = None
        self._waiter: asyncio.Future | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def more(self) -> bytes:
        """The bytes received since the last call (waiting for some); ``b""`` once closed."""
        if not self.buffer and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.buffer:
            data = bytes(self.buffer)
            self.buffer.clear()
            return data
        if self.error is not None:
            raise ReadError(str(self.error) or type(self.error).__name__)
        return b""

    def usable(self) -> bool:
        return not self.closed and not self.buffer and not self.transport.is_closing()


class AsyncResponse:
    """:class:`Response` on an event loop: the body through :meth:`aiter_bytes`."""

    __slots__ = ("status_code", "headers", "_pool", "_conn", "_body", "_rest")

    def __init__(self, pool: AsyncConnectionPool, conn: _Protocol, status: int, headers: Headers,
                 body: BodyReader, rest: bytes):
        self.status_code, self.headers = status, headers
        self._pool, self._conn, self._body, self._rest = pool, conn, body, rest

    def aiter_bytes(self) -> _AsyncBody:
        rest, self._rest = self._rest, b""
        return _AsyncBody(self._conn, self._body, rest)

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._body.done and self._body.reusable and conn.usable():
                self._pool._release(conn)
            else:
                conn.transport.close()


class _AsyncBody:
    """The body's bytes as they arrive (an async iterator, without an async generator's finalising)."""

    __slots__ = ("_conn", "_body", "_data")

    def __init__(self, conn: _Protocol, body: BodyReader, data: bytes):
        self._conn, self._body, self._data = conn, body, data

    def __aiter__(self) -> _AsyncBody:
        return self

    async def __anext__(self) -> bytes:
        body = self._body
        while True:
            data, self._data = self._data, b""
            if data:
                piece = body.feed(data)
                if piece:
                    return piece
            if body.done:
                raise StopAsyncIteration
            self._data = await self._conn.more()
            if not self._data:
                body.end_of_stream()
                raise StopAsyncIteration


class AsyncConnectionPool:
    """Kept-alive connections to one origin on the event loop that made the pool."""

    def __init__(self, scheme: str, host: str, port: int, *, max_idle: int = 128):
        self.scheme, self.host, self.port, self.max_idle = scheme, host, port, max_idle
        self._idle: list[_Protocol] = []
        self._ssl = ssl_context() if scheme == "https" else None
        self.opened = 0

    async def send(self, post: Post, content: bytes, remaining: Remaining | None = None) -> AsyncResponse:
        """Send ``post`` with ``content``; the :class:`AsyncResponse` once its head is in. The caller
        bounds the time (``remaining`` is taken for the sync pool's signature and not used)."""
        conn = await self._connection()
        try:
            conn.transport.write(post.request(content))
            buffer = bytearray()
            while True:
                data = await conn.more()
                if not data:
                    raise RemoteProtocolError("the server closed the connection without sending a reply")
                buffer += data
                head = parse_head(buffer)
                if head is not None:
                    status, headers, keep_alive, size = head
                    return AsyncResponse(self, conn, status, headers, BodyReader(status, headers, keep_alive),
                                         bytes(buffer[size:]))
        except BaseException:
            conn.transport.close()
            raise

    async def _connection(self) -> _Protocol:
        idle = self._idle
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.transport.close()
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Protocol, self.host, self.port, ssl=self._ssl,
                                                   server_hostname=self.host if self._ssl is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from None
        self.opened += 1
        return conn

    def _release(self, conn: _Protocol) -> None:
        if len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            conn.transport.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().transport.close()
