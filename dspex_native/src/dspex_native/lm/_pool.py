"""The pooled connections every LM client shares: transports for LM requests, httpx clients for the rest.

Connection reuse is what makes many concurrent calls cheap. LM requests go through
:func:`sync_transport` / :func:`async_transport`: one pool of kept-alive connections per
endpoint configuration (base URL, key digest, timeout) and origin, the lean transport of
:mod:`._http`, or, when the environment routes that origin through a proxy (``HTTPS_PROXY``,
``ALL_PROXY``, ... unless ``NO_PROXY`` exempts it), an httpx client under the same seam
(:class:`ProxiedTransport`: httpx honours the proxy). Other requests (retrieval's) use the pooled
httpx clients of :func:`sync_client` / :func:`async_client`. Async pools and clients belong to the
event loop they were made on, so they are kept per loop and dropped once their loop is closed.
httpx is imported here on first use, never by ``import dspex_native``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

PoolKey = tuple[str, str, Any]

_lock = threading.Lock()
_sync: dict[Any, Any] = {}
#: Per event loop; entries of closed loops are dropped whenever a new loop's entry is made.
_async: dict[asyncio.AbstractEventLoop, dict[Any, Any]] = {}

#: Generous limits: the pool must never be what throttles concurrent calls.
_MAX_CONNECTIONS = 512
_MAX_KEEPALIVE = 128


def _limits_and_timeout(timeout: Any) -> tuple[Any, Any]:
    import httpx

    return (httpx.Limits(max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_KEEPALIVE),
            httpx.Timeout(timeout))


def _new_sync_client(timeout: Any) -> Any:
    import httpx

    limits, timeout = _limits_and_timeout(timeout)
    return httpx.Client(limits=limits, timeout=timeout)


def _new_async_client(timeout: Any) -> Any:
    import httpx

    limits, timeout = _limits_and_timeout(timeout)
    return httpx.AsyncClient(limits=limits, timeout=timeout)


def _proxied(scheme: str, host: str) -> bool:
    """Whether the environment sends requests to this origin through a proxy (httpx's rule)."""
    import urllib.request

    proxies = urllib.request.getproxies()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(host)


def _sync_entry(key: Any, make: Any) -> Any:
    with _lock:
        entry = _sync.get(key)
        if entry is None:
            entry = _sync[key] = make()
    return entry


def _async_entry(loop: asyncio.AbstractEventLoop, key: Any, make: Any) -> Any:
    with _lock:
        if loop not in _async:
            for old in [old for old in _async if old.is_closed()]:
                del _async[old]  # its connections cannot be used any more; GC closes the sockets
        entries = _async.setdefault(loop, {})
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = make()
    return entry


def sync_client(key: PoolKey) -> Any:
    """The pooled ``httpx.Client`` for ``key``."""
    client = _sync.get(key)
    return client if client is not None else _sync_entry(key, lambda: _new_sync_client(key[2]))


def async_client(key: PoolKey) -> Any:
    """The pooled ``httpx.AsyncClient`` for ``key`` on the running event loop."""
    loop = asyncio.get_running_loop()
    clients = _async.get(loop)
    client = clients.get(key) if clients is not None else None
    return client if client is not None else _async_entry(loop, key, lambda: _new_async_client(key[2]))


def sync_transport(key: PoolKey, post: Any) -> Any:
    """The transport for LM requests ``post`` (a :class:`._http_wire.Post`) under ``key``:
    ``send(post, content, remaining) -> response`` (see :mod:`._http`)."""
    full = ("transport", key, post.scheme, post.host, post.port)
    transport = _sync.get(full)
    if transport is not None:
        return transport

    def make() -> Any:
        if _proxied(post.scheme, post.host):
            return ProxiedTransport(_new_sync_client(key[2]))
        from dspex_native.lm._http import ConnectionPool

        return ConnectionPool(post.scheme, post.host, post.port, max_idle=_MAX_KEEPALIVE)

    return _sync_entry(full, make)


def async_transport(key: PoolKey, post: Any) -> Any:
    """:func:`sync_transport` for the running event loop: ``await send(post, content, remaining)``."""
    loop = asyncio.get_running_loop()
    full = ("transport", key, post.scheme, post.host, post.port)
    transports = _async.get(loop)
    transport = transports.get(full) if transports is not None else None
    if transport is not None:
        return transport

    def make() -> Any:
        if _proxied(post.scheme, post.host):
            return AsyncProxiedTransport(_new_async_client(key[2]))
        from dspex_native.lm._http import AsyncConnectionPool

        return AsyncConnectionPool(post.scheme, post.host, post.port, max_idle=_MAX_KEEPALIVE)

    return _async_entry(loop, full, make)


def _httpx_request(post: Any, content: bytes, timeout: dict[str, float | None]) -> Any:
    import httpx

    return httpx.Request("POST", post.url, content=content, headers=post.headers, extensions={"timeout": timeout})


class ProxiedTransport:
    """An endpoint reached through a proxy: httpx (which honours the proxy settings) behind the
    transport seam. Its responses are httpx's (``status_code``, ``headers``, ``iter_bytes``, ``close``)."""

    def __init__(self, client: Any):
        self.client = client

    def send(self, post: Any, content: bytes, remaining: Any) -> Any:
        left = remaining()
        timeout = {"connect": left, "read": left, "write": left, "pool": left}
        response = self.client.send(_httpx_request(post, content, timeout), stream=True)
        timeout["read"] = remaining()  # httpcore reads this when the body starts: the time left then
        return response

    def close(self) -> None:
        self.client.close()


class AsyncProxiedTransport:
    """:class:`ProxiedTransport` on an event loop (the caller bounds the time)."""

    def __init__(self, client: Any):
        self.client = client

    async def send(self, post: Any, content: bytes, remaining: Any = None) -> Any:
        left = remaining() if remaining is not None else None
        timeout = {"connect": left, "read": left, "write": left, "pool": left}
        return await self.client.send(_httpx_request(post, content, timeout), stream=True)

    def close(self) -> None:
        pass  # an AsyncClient closes on its loop; dropped with the loop's entry


def close_all() -> None:
    """Close the pooled sync clients and transports and forget every pool (async ones are dropped
    unclosed when their loop is not running here; their sockets close when collected)."""
    with _lock:
        entries = list(_sync.values())
        _sync.clear()
        _async.clear()
    for entry in entries:
        entry.close()
