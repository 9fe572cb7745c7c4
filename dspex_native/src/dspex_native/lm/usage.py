"""Token usage accounting for an LM client: cumulative totals and the last call's usage.

Providers report ``usage`` per response; a client adds them up under a lock so threads and
tasks sharing one client see consistent totals. Cache hits cost nothing and are counted
apart (``cache_hits``), as DSPy reports empty usage for them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Usage:
    """Token counts (and how many provider calls they cover)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0

    @classmethod
    def from_response(cls, usage: Mapping[str, Any] | None) -> "Usage":
        usage = usage or {}

        def count(name: str) -> int:
            value = usage.get(name)
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

        prompt, completion = count("prompt_tokens"), count("completion_tokens")
        return cls(prompt, completion, count("total_tokens") or prompt + completion, 1)

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.total_tokens + other.total_tokens, self.calls + other.calls)

    def as_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens}


class UsageTracker:
    """Thread-safe running totals: ``total``, ``last`` (the latest provider call) and ``cache_hits``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Usage()
        self._last: Usage | None = None
        self._cache_hits = 0

    def add(self, usage: Usage) -> None:
        with self._lock:
            self._total = self._total + usage
            self._last = usage

    def hit(self) -> None:
        with self._lock:
            self._cache_hits += 1

    @property
    def total(self) -> Usage:
        return self._total

    @property
    def last(self) -> Usage | None:
        return self._last

    @property
    def cache_hits(self) -> int:
        return self._cache_hits

    def reset(self) -> None:
        with self._lock:
            self._total, self._last, self._cache_hits = Usage(), None, 0

    def __repr__(self) -> str:
        t = self._total
        return (f"UsageTracker(calls={t.calls}, prompt_tokens={t.prompt_tokens}, "
                f"completion_tokens={t.completion_tokens}, cache_hits={self._cache_hits})")
