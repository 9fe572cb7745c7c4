"""Turning an LM description plus call settings into one request: body, options, cache key.

Request settings (``temperature``, ``max_tokens``, ``n``, ``stop``, ``top_p`` and any
unknown key) go into the JSON body; client settings (where to send, caching, retrying)
never do, and neither do credentials. ``None`` values are dropped, as DSPy drops them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from dspex_core.backend import CLIENT_SETTINGS as _CLIENT_SETTINGS, lm_deadline
from dspex_core.errors import InputError

from dspex_native.lm.cache import DEFAULT_MEMORY_SIZE
from dspex_native.lm.retry import DEFAULT_NUM_RETRIES, RetryPolicy

#: Settings that configure the client and are never sent to the provider (the core's list, which
#: ``render`` and the dspy backend use too).
CLIENT_SETTINGS = _CLIENT_SETTINGS

#: Seconds one call may take, every attempt and wait included (dspex_core.backend.lm_deadline),
#: when the LM sets no ``timeout`` and the ``inference`` timeout profile is not configured.
DEFAULT_TIMEOUT = lm_deadline.DEFAULT_TIMEOUT


@dataclass(frozen=True)
class ClientOptions:
    """The per-call client settings, resolved from the LM and the call."""

    cache: bool
    rollout_id: Any
    policy: RetryPolicy
    timeout: float | None  # the whole call's, retries and waits included
    #: how the replies are read, set when the request is shaped: each completion with its choice's
    #: logprobs (``logprobs=True``), and the judgments dspy's own engine reads the answer with
    logprobs: bool = False
    judgments: Any = None
    #: the call goes dspy's own engine's way (lm15's), recorded for a call with tools (``None``: not
    #: recorded, the client's route says): how the reply's function calls are read
    lm15: bool | None = None


def split_settings(defaults: Mapping[str, Any], call: Mapping[str, Any]) -> tuple[dict[str, Any], ClientOptions]:
    """``(request settings for the body, client options)`` from LM defaults and call settings."""
    merged = {**defaults, **call} if call else dict(defaults)
    body = {k: v for k, v in merged.items() if k not in CLIENT_SETTINGS and v is not None}
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InputError(f"n must be a positive integer, got {n!r}")
    num_retries = merged.get("num_retries")
    try:
        policy = RetryPolicy(
            num_retries=DEFAULT_NUM_RETRIES if num_retries is None else num_retries,
            base_delay=float(merged.get("retry_base_delay", 0.5)),
            max_delay=float(merged.get("retry_max_delay", 8.0)),
            max_retry_after=lm_deadline.check_retry_after_max(
                merged.get("retry_after_max", lm_deadline.RETRY_AFTER_MAX)),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"bad retry setting: {exc}") from None
    timeout = lm_deadline.check_timeout(merged.get("timeout", lm_deadline.DEFAULT_PROFILE))
    cache = merged.get("cache", True)
    return body, ClientOptions(cache=bool(cache), rollout_id=merged.get("rollout_id"), policy=policy, timeout=timeout)


def cache_settings(settings: Mapping[str, Any]) -> tuple[int, str | None]:
    """``(memory LRU size, disk directory or None)`` from LM settings and ``DSPEX_CACHE_DIR``."""
    size = settings.get("cache_size", DEFAULT_MEMORY_SIZE)
    directory = settings.get("cache_dir") or os.environ.get("DSPEX_CACHE_DIR") or None
    return size, directory

