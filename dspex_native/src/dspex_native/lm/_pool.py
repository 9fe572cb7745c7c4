"""One pooled httpx client per configuration, shared by every LM client that needs it.

Connection reuse is what makes many concurrent calls cheap, so clients are keyed by
(base URL, key digest, timeout) and reused. ``httpx.AsyncClient`` belongs to the event loop
it first ran on, so async clients are kept per loop and dropped once their loop is closed.
httpx is imported here, on first use, never by ``import dspex_native``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

PoolKey = tuple[str, str, Any]

_lock = threading.Lock()
_sync: dict[PoolKey, Any] = {}
#: Per event loop; entries of closed loops are dropped whenever a new loop's entry is made.
_async: dict[asyncio.AbstractEventLoop, dict[PoolKey, Any]] = {}

#: Generous limits: the pool must never be what throttles concurrent calls.
_MAX_CONNECTIONS = 512
_MAX_KEEPALIVE = 128


def _limits_and_timeout(timeout: Any) -> tuple[Any, Any]:
    import httpx

    return (httpx.Limits(max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_KEEPALIVE),
            httpx.Timeout(timeout))


def sync_client(key: PoolKey) -> Any:
    client = _sync.get(key)
    if client is not None:
        return client
    import httpx

    with _lock:
        client = _sync.get(key)
        if client is None:
            limits, timeout = _limits_and_timeout(key[2])
            client = _sync[key] = httpx.Client(limits=limits, timeout=timeout)
    return client


def async_client(key: PoolKey) -> Any:
    loop = asyncio.get_running_loop()
    clients = _async.get(loop)
    client = clients.get(key) if clients is not None else None
    if client is not None:
        return client
    import httpx

    with _lock:
        if loop not in _async:
            for old in [old for old in _async if old.is_closed()]:
                del _async[old]  # its connections cannot be used any more; GC closes the sockets
        clients = _async.setdefault(loop, {})
        client = clients.get(key)
        if client is None:
            limits, timeout = _limits_and_timeout(key[2])
            client = clients[key] = httpx.AsyncClient(limits=limits, timeout=timeout)
    return client


def close_all() -> None:
    """Close the pooled sync clients and forget every pool (async ones are dropped unclosed
    when their loop is not running here; their sockets close when collected)."""
    with _lock:
        clients = list(_sync.values())
        _sync.clear()
        _async.clear()
    for client in clients:
        client.close()
