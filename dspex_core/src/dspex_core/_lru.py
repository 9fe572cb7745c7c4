"""A small thread-safe LRU mapping for the caches the core and backends keep.

Routing decisions, precompiled prompt formats and translated signatures are all "compute once
per key, keep the most recently used few thousand". :class:`LRUCache` is that one helper: reads
take no lock (a hit is a recency update and a look-up), writes and evictions do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most ``maxsize`` entries; the least recently used one goes first."""

    __slots__ = ("maxsize", "_data", "_lock", "_move_to_end", "_item")

    def __init__(self, maxsize: int = 4096):
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive integer, got {maxsize!r}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        # bound once: a hit is then two C calls (the router looks up every create's decision here)
        self._move_to_end = self._data.move_to_end
        self._item = self._data.__getitem__

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value for ``key`` (now the most recently used), or ``default``."""
        try:
            self._move_to_end(key)
            return self._item(key)
        except KeyError:  # absent (or evicted by another thread between the two calls)
            return default

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key``, evicting the least recently used entries beyond ``maxsize``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"LRUCache({len(self._data)}/{self.maxsize})"
