"""A small thread-safe LRU mapping for the caches the core and backends keep.

Routing decisions, precompiled prompt formats and translated signatures are all "compute once
per key, keep the most recently used few thousand". :class:`LRUCache` is that one helper: reads
take no lock (a hit costs a dictionary look-up and a recency update), writes and evictions do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class LRUCache(Generic[K, V]):
    """At most ``maxsize`` entries; the least recently used one goes first."""

    __slots__ = ("maxsize", "_data", "_lock")

    def __init__(self, maxsize: int = 4096):
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive integer, got {maxsize!r}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value for ``key`` (now the most recently used), or ``default``."""
        value = self._data.get(key, _MISSING)
        if value is _MISSING:
            return default
        try:
            self._data.move_to_end(key)
        except KeyError:  # evicted by another thread just now; the value read is still right
            pass
        return value  # type: ignore[return-value]

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key``, evicting the least recently used entries beyond ``maxsize``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made with ``make()`` and stored when absent.

        ``make`` runs outside the lock: two threads may both make a value for a new key, and
        the last one stored wins, which is harmless for caches of values computed from the key.
        """
        value = self._data.get(key, _MISSING)
        if value is not _MISSING:
            try:
                self._data.move_to_end(key)
            except KeyError:
                pass
            return value  # type: ignore[return-value]
        return self.put(key, make())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"LRUCache({len(self._data)}/{self.maxsize})"
