"""HTTP/1.1 as bytes, without any I/O: the request head an LM client sends and the reply it reads.

The LM client posts one kind of request many times, so :class:`Post` writes its head (request
line, ``Host``, fixed and credential headers) once; a call adds only ``Content-Length`` and its
body, and the whole request leaves in one write (no Nagle/delayed-ACK stall between head and
body). A reply is read by :func:`parse_head` (status and headers, once they are all in) and a
:class:`BodyReader` (``Content-Length``, ``chunked`` or until close; gzip/deflate decoded, as
``Accept-Encoding`` asks for). The sync and async connections of :mod:`._http` share this code;
what it rejects is a :class:`RemoteProtocolError`.
"""

from __future__ import annotations

import zlib
from typing import Any

#: What a reply's head may take, at most (a server sending more is refused, not buffered forever).
MAX_HEAD_BYTES = 64 * 1024


class TransportError(Exception):
    """A request that did not get a whole reply: the connection, the protocol or a timeout."""


class ConnectError(TransportError):
    """The connection could not be opened (refused, unreachable, TLS handshake failed)."""


class WriteError(TransportError):
    """The connection failed while the request was being sent."""


class ReadError(TransportError):
    """The connection failed while the reply was being read."""


class RemoteProtocolError(TransportError):
    """The server broke HTTP/1.1: closed before a whole reply, or sent what is not a reply."""


class TransportTimeout(TransportError):
    """A network wait ran out of the time it was given."""


class ConnectTimeout(TransportTimeout):
    pass


class WriteTimeout(TransportTimeout):
    pass


class ReadTimeout(TransportTimeout):
    pass


class Headers(dict):
    """A reply's headers: names lower-cased, repeated ones joined with ``", "``; ``get`` and
    ``[]`` take any case."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name.lower() if isinstance(name, str) else name)


def _checked(text: str, what: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        from dspex_core.errors import InputError

        raise InputError(f"the LM request's {what} contains a line break or NUL, which HTTP cannot carry")
    return text


class Post:
    """One endpoint's POST, its head written once: ``scheme``, ``host``, ``port`` (where to
    connect), ``url`` and ``headers`` (as given, for a transport that builds its own request) and
    ``head`` (the bytes before ``Content-Length``). Header names and values with a line break are
    an :class:`~dspex_core.errors.InputError` naming the header (never its value)."""

    __slots__ = ("scheme", "host", "port", "url", "headers", "head")

    def __init__(self, url: str, headers: dict[str, str], user_agent: str):
        from urllib.parse import urlsplit

        from dspex_core.backend import strip_credentials

        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            from dspex_core.errors import InputError

            raise InputError(f"the LM endpoint must be an http:// or https:// URL with a host (and a "
                             f"port from 0 to 65535), got {strip_credentials(url)!r}")
        self.scheme, self.url, self.headers = parts.scheme, url, headers
        self.host = parts.hostname
        default_port = 443 if parts.scheme == "https" else 80
        self.port = port or default_port
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = host if self.port == default_port else f"{host}:{self.port}"
        target = _checked(_request_target(parts.path or "/", parts.query), "URL")
        # Only what HTTP/1.1 needs (keep-alive is its default) and who is asking: every header
        # is parsed by the server on every request (a Python server's cost shows under load).
        fixed = {"user-agent": f"User-Agent: {user_agent}"}
        fixed = {"host": f"Host: {netloc}", **fixed}
        given = []
        for name, value in headers.items():
            if name.lower() in ("content-length", "transfer-encoding"):
                continue  # written by the transport
            fixed.pop(name.lower(), None)  # a header given replaces the default of that name (Host too)
            given.append(f"{_checked(name, 'header name ' + repr(name))}: {_checked(value, 'header ' + repr(name))}")
        lines = [f"POST {target} HTTP/1.1", *fixed.values(), *given]
        try:
            self.head = ("\r\n".join(lines) + "\r\n").encode("ascii")
        except UnicodeEncodeError:
            from dspex_core.errors import InputError

            bad = [line.split(":", 1)[0] for line in given if not line.isascii()]
            raise InputError(f"the LM request's headers {bad} contain non-ASCII characters, which HTTP "
                             f"headers cannot carry") from None

    def request(self, content: bytes) -> bytes:
        """The whole request for one body."""
        return b"%sContent-Length: %d\r\n\r\n%s" % (self.head, len(content), content)


def _request_target(path: str, query: str) -> str:
    """The path and query as sent: characters HTTP does not allow in a request line percent-encoded
    (what is already encoded stays as written)."""
    from urllib.parse import quote

    safe = "/:@!$&'()*+,;=-._~%"
    target = quote(path, safe=safe)
    return f"{target}?{quote(query, safe=safe + '?')}" if query else target


def parse_head(buffer: bytearray) -> tuple[int, Headers, bool, int] | None:
    """``(status, headers, keep_alive, head length)`` once ``buffer`` holds a whole reply head,
    ``None`` before (informational 1xx heads before it are skipped)."""
    start = 0
    while True:
        end = buffer.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buffer) - start > MAX_HEAD_BYTES:
                raise RemoteProtocolError(f"the reply's head is longer than {MAX_HEAD_BYTES} bytes")
            return None
        lines = buffer[start:end].decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        try:
            version, status = status_line[0], int(status_line[1])
        except (IndexError, ValueError):
            raise RemoteProtocolError(f"not an HTTP reply: {lines[0][:80]!r}") from None
        if not version.startswith("HTTP/1.") or not 100 <= status <= 999:
            raise RemoteProtocolError(f"not an HTTP/1.x reply: {lines[0][:80]!r}")
        if 100 <= status < 200 and status != 101:
            start = end + 4
            continue
        headers = Headers()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name[-1] in " \t":
                raise RemoteProtocolError(f"a malformed header line in the reply: {line[:80]!r}")
            name, value = name.lower(), value.strip(" \t")
            previous = dict.get(headers, name)
            headers[name] = value if previous is None else f"{previous}, {value}"
        connection = dict.get(headers, "connection", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        return status, headers, keep_alive, end + 4


class BodyReader:
    """A reply's body from the bytes that follow its head, however they are split: :meth:`feed`
    returns the (decoded) body bytes in what it is given; ``done`` once the body is complete;
    ``reusable`` when the connection may carry the next request afterwards."""

    __slots__ = ("done", "reusable", "_left", "_chunked", "_until_close", "_buffer", "_state", "_decoder")

    def __init__(self, status: int, headers: Headers, keep_alive: bool):
        self._chunked = "chunked" in dict.get(headers, "transfer-encoding", "").lower()
        self._buffer = bytearray()
        self._state = "size"
        self._left = 0
        self._until_close = False
        length = dict.get(headers, "content-length")
        if status in (204, 304):
            self._left = 0
        elif self._chunked:
            pass
        elif length is not None:
            try:
                self._left = int(length.split(",")[0])
                if self._left < 0:
                    raise ValueError
            except ValueError:
                raise RemoteProtocolError(f"the reply's Content-Length is not a length: {length[:40]!r}") from None
        else:
            self._until_close = True
        self.done = not self._chunked and not self._until_close and self._left == 0
        self.reusable = keep_alive and not self._until_close
        self._decoder = _decoder(dict.get(headers, "content-encoding", ""))

    def feed(self, data: bytes) -> bytes:
        """The body bytes in ``data`` (which follows what was fed before)."""
        if self.done:
            if data:
                self.reusable = False  # bytes no request asked for: the connection is not trusted again
            return b""
        if self._chunked:
            raw = self._feed_chunked(data)
        elif self._until_close:
            raw = data
        else:
            raw = data[:self._left]
            if len(data) > self._left:
                self.reusable = False
            self._left -= len(raw)
            self.done = self._left == 0
        return raw if self._decoder is None else self._decode(raw)

    def end_of_stream(self) -> None:
        """The connection closed: the end of a body read until close; an error otherwise."""
        if self._until_close:
            self.done, self.reusable = True, False
            if self._decoder is not None:
                self._decoder.flush()
            return
        if not self.done:
            raise RemoteProtocolError("the server closed the connection before the whole reply arrived")

    def _feed_chunked(self, data: bytes) -> bytes:
        buffer = self._buffer
        buffer += data
        out = []
        while not self.done:
            if self._state == "data":
                piece = buffer[:self._left]
                if not piece:
                    break
                out.append(bytes(piece))
                del buffer[:len(piece)]
                self._left -= len(piece)
                if self._left == 0:
                    self._state = "crlf"
                continue
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise RemoteProtocolError("a chunk's size line or trailer is too long")
                break
            line = bytes(buffer[:end])
            del buffer[:end + 2]
            if self._state == "crlf":
                if line:
                    raise RemoteProtocolError("a chunk does not end where its size says")
                self._state = "size"
            elif self._state == "size":
                try:
                    self._left = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise RemoteProtocolError(f"not a chunk size: {line[:20]!r}") from None
                self._state = "data" if self._left else "trailer"
            elif not line:  # the blank line that ends the trailer
                self.done = True
                if buffer:
                    self.reusable = False
        return b"".join(out)

    def _decode(self, raw: bytes) -> bytes:
        try:
            out = self._decoder.decompress(raw)
            return out + self._decoder.flush() if self.done else out
        except zlib.error as exc:
            raise RemoteProtocolError(f"the reply's compressed body cannot be decoded: {exc}") from None


def _decoder(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if not encoding or encoding == "identity":
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Deflate()
    raise RemoteProtocolError(f"the reply is encoded as {encoding!r}, which was not asked for")


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or raw (the first bytes tell; httpx does the same)."""

    __slots__ = ("_inner", "_first")

    def __init__(self) -> None:
        self._inner: Any = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes) -> bytes:
        if self._first and data:
            self._first = False
            try:
                return self._inner.decompress(data)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data)

    def flush(self) -> bytes:
        return self._inner.flush()
