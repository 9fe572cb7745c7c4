"""The native LM client: OpenAI-compatible HTTP with retries, caching and usage accounting.

``get_client(lm)`` turns what ``dspex_core.settings().lm`` holds into something to call:

* a :class:`dspex_core.LM` description -> an :class:`~.client.HTTPLMClient` (one per
  configuration, reused, so its cache, usage totals and connection pool are shared);
* a custom LM object -> a :class:`~.client.CustomLMClient` calling that very object (one per
  object, so its usage counts add up).

Either way: ``client(messages, **settings) -> list[str]``,
``await client.acall(messages, **settings) -> list[str]`` and ``client.usage``.
httpx is imported only when the first HTTP request is made.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

__all__ = ["get_client", "clear_clients", "HTTPLMClient", "CustomLMClient", "LMCache", "RetryPolicy", "Usage",
           "UsageTracker"]

_lock = threading.Lock()
_clients: dict[tuple, Any] = {}
#: Fast path: id(lm) -> (lm, settings snapshot, client); the strong ref keeps ids unique.
_by_id: dict[int, tuple[Any, dict, Any]] = {}
_BY_ID_MAX = 1024


def _config_key(lm: Any) -> tuple:
    secrets = repr(sorted((name, repr(lm.secret(name))) for name in ("api_key", "headers", "extra_headers",
                                                                    "organization")))
    digest = hashlib.sha256(secrets.encode("utf-8")).hexdigest()
    return (lm.model, tuple(sorted((k, repr(v)) for k, v in lm.settings.items())), digest)


def get_client(lm: Any) -> Any:
    """The client for ``lm`` (a ``dspex_core.LM`` or a custom LM object)."""
    from dspex_core._lm import LM, is_custom_lm

    if isinstance(lm, LM):
        fast = _by_id.get(id(lm))
        if fast is not None and fast[0] is lm and fast[1] == lm.settings:
            return fast[2]
        key = _config_key(lm)
        with _lock:
            client = _clients.get(key)
            if client is None:
                from dspex_native.lm.client import HTTPLMClient

                client = _clients[key] = HTTPLMClient(lm)
            if len(_by_id) >= _BY_ID_MAX:
                _by_id.clear()
            _by_id[id(lm)] = (lm, dict(lm.settings), client)
        return client
    if is_custom_lm(lm):
        fast = _by_id.get(id(lm))
        if fast is not None and fast[0] is lm:
            return fast[2]
        from dspex_native.lm.client import CustomLMClient

        client = CustomLMClient(lm)
        with _lock:
            if len(_by_id) >= _BY_ID_MAX:
                _by_id.clear()
            _by_id[id(lm)] = (lm, {}, client)
        return client
    from dspex_core.errors import InputError

    raise InputError(f"an LM must be a dspex.LM or an object implementing the LM protocol, got {type(lm).__name__}")


def clear_clients() -> None:
    """Forget every client (and close pooled connections): new clients start with empty
    memory caches and usage totals."""
    from dspex_native.lm import _pool

    with _lock:
        _clients.clear()
        _by_id.clear()
    _pool.close_all()


def __getattr__(name: str) -> Any:
    if name in ("HTTPLMClient", "CustomLMClient"):
        from dspex_native.lm import client

        return getattr(client, name)
    if name == "LMCache":
        from dspex_native.lm.cache import LMCache

        return LMCache
    if name == "RetryPolicy":
        from dspex_native.lm.retry import RetryPolicy

        return RetryPolicy
    if name in ("Usage", "UsageTracker"):
        from dspex_native.lm import usage

        return getattr(usage, name)
    raise AttributeError(f"module 'dspex_native.lm' has no attribute {name!r}")
