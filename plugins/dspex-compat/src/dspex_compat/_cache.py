"""``dspy.configure_cache`` and ``dspy.cache``, mapped onto dspex's LM cache.

dspex's native LM client caches answers per LM (``cache=True``, the default, as dspy's) in
memory, and on disk when ``DSPEX_CACHE_DIR`` is set. ``configure_cache(enable_disk_cache=True,
disk_cache_dir=...)`` sets that folder for the process; ``enable_disk_cache=False`` unsets it.
The memory cache's size and on/off switch are per LM in dspex (``dspy.LM(..., cache=False)``),
so ``enable_memory_cache`` and ``memory_max_entries`` are recorded on :data:`cache` only
(docs/compat.md lists this difference).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["Cache", "cache", "configure_cache"]

_DIR_VARIABLE = "DSPEX_CACHE_DIR"


class Cache:
    """What the process's LM cache is configured to do (DSPy's ``dspy.cache`` attributes)."""

    def __init__(self) -> None:
        self.enable_disk_cache = bool(os.environ.get(_DIR_VARIABLE))
        self.enable_memory_cache = True
        self.disk_cache_dir = os.environ.get(_DIR_VARIABLE)
        self.disk_size_limit_bytes: int | None = None
        self.memory_max_entries: int | None = None

    def __repr__(self) -> str:
        return (f"Cache(enable_disk_cache={self.enable_disk_cache}, enable_memory_cache={self.enable_memory_cache}, "
                f"disk_cache_dir={self.disk_cache_dir!r})")


cache = Cache()


def configure_cache(enable_disk_cache: bool | None = True, enable_memory_cache: bool | None = True,
                    disk_cache_dir: str | None = None, disk_size_limit_bytes: int | None = None,
                    memory_max_entries: int | None = None, **_: Any) -> None:
    """DSPy's ``configure_cache``: the disk cache's folder (or none) for every LM of the process."""
    if enable_disk_cache and disk_cache_dir:
        os.environ[_DIR_VARIABLE] = str(disk_cache_dir)
    elif not enable_disk_cache:
        os.environ.pop(_DIR_VARIABLE, None)
    cache.enable_disk_cache = bool(enable_disk_cache and os.environ.get(_DIR_VARIABLE))
    cache.disk_cache_dir = os.environ.get(_DIR_VARIABLE)
    cache.enable_memory_cache = bool(enable_memory_cache)
    cache.disk_size_limit_bytes = disk_size_limit_bytes
    cache.memory_max_entries = memory_max_entries
