"""The native LM client: OpenAI-compatible HTTP with retries, caching and usage accounting.

``get_client(lm)`` turns what ``dspex_core.settings().lm`` holds into something to call; native
modules call every LM through it, so both kinds get the same accounting:

* a :class:`dspex_core.LM` description -> an :class:`~.client.HTTPLMClient` (one per
  configuration, reused, so its cache, usage totals and connection pool are shared);
* a custom LM object -> a :class:`~.custom.CustomLMClient` calling that very object (one per
  object, so its usage counts add up; its replies are never cached).

Either way: ``client(messages, **settings) -> list[str]``,
``await client.acall(messages, **settings) -> list[str]`` and ``client.usage``.
httpx is imported only when the first HTTP request is made, and nothing heavy on import.
"""

from __future__ import annotations

import threading
from typing import Any

from dspex_core.backend import LM, SECRET_SETTINGS, LRUCache, credentials, is_custom_lm

from dspex_native.lm.custom import CustomLMClient
from dspex_native.lm.usage import Usage, UsageTracker

__all__ = ["get_client", "clear_clients", "HTTPLMClient", "CustomLMClient", "LMCache", "RetryPolicy", "Usage",
           "UsageTracker"]

_lock = threading.Lock()
#: One HTTP client per configuration (model, settings, credentials digest): never evicted, so
#: every LM object with the same configuration shares its totals, cache and connections.
_clients: dict[tuple, Any] = {}
#: The fast path, looked up on every call: id(lm) -> (lm, settings snapshot or None for a custom
#: LM, client). Holding ``lm`` keeps its id from being reused while the entry lives.
_recent: LRUCache[int, tuple[Any, dict | None, Any]] = LRUCache(1024)


def _config_key(lm: LM) -> tuple:
    """What tells clients apart: model, settings and a digest of the credentials, the key the
    provider's environment variable holds now included (a key rotated there gets a new client,
    with its own memory cache, rather than one still sending the old key). The settings are kept
    in their given order: requests carry them in that order, as dspy's do (LiteLLM's Ollama
    ``options``), so two LMs that differ only in that order do not share a client."""
    import os

    secrets = [(name, repr(lm.secret(name))) for name in sorted(SECRET_SETTINGS)]
    if lm.secret("api_key") is None:
        secrets += [(name, os.environ.get(name)) for name in credentials.key_env_names(lm.provider)]
    return (lm.model, tuple((k, repr(v)) for k, v in lm.settings.items()), credentials.digest(secrets))


def get_client(lm: Any) -> Any:
    """The client for ``lm`` (a ``dspex_core.LM`` or a custom LM object)."""
    known = _recent.get(id(lm))
    if known is not None and known[0] is lm and (known[1] is None or known[1] == lm.settings):
        return known[2]
    if isinstance(lm, LM):
        key = _config_key(lm)
        with _lock:
            client = _clients.get(key)
            if client is None:
                from dspex_native.lm.client import HTTPLMClient

                client = _clients[key] = HTTPLMClient(lm)
            _recent.put(id(lm), (lm, dict(lm.settings), client))
        return client
    if is_custom_lm(lm):
        with _lock:
            known = _recent.get(id(lm))
            if known is not None and known[0] is lm:
                return known[2]  # another thread made it just now
            return _recent.put(id(lm), (lm, None, CustomLMClient(lm)))[2]
    from dspex_core.errors import InputError

    raise InputError(f"an LM must be a dspex.LM or an object implementing the LM protocol, got {type(lm).__name__}")


def clear_clients() -> None:
    """Forget every client (and close pooled connections): new clients start with empty
    memory caches and usage totals."""
    from dspex_native.lm import _pool

    with _lock:
        _clients.clear()
        _recent.clear()
    _pool.close_all()


def __getattr__(name: str) -> Any:
    if name == "HTTPLMClient":
        from dspex_native.lm.client import HTTPLMClient

        return HTTPLMClient
    if name == "LMCache":
        from dspex_native.lm.cache import LMCache

        return LMCache
    if name == "RetryPolicy":
        from dspex_native.lm.retry import RetryPolicy

        return RetryPolicy
    raise AttributeError(f"module 'dspex_native.lm' has no attribute {name!r}")
