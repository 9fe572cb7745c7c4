"""The LM response cache: an in-memory LRU in front of an optional on-disk store.

Keys are a sha256 over the request as the provider would see it (model, base URL without
credentials, body) plus ``rollout_id``, which DSPy also keys on so that different rollouts of
the same prompt get fresh samples. By default credentials are not part of a key, as in DSPy, so
an answer cached under one API key is served to a client with another (see
docs/credentials.md); an LM with ``cache_key_includes_credentials=True`` adds a digest of the
credentials its requests carry, so a new or revoked key goes to the server. Credentials
themselves are never part of a key or a stored entry.
The disk store is a directory of small JSON files (``<dir>/ab/abcdef....json``), written
atomically, so several processes can share it and a new client finds earlier answers.
It is used when ``cache_dir=`` is set on the LM or ``DSPEX_CACHE_DIR`` in the environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from dspex_core.backend import LRUCache

DEFAULT_MEMORY_SIZE = 4096


def cache_key(*, model: str, base_url: str, body: dict[str, Any], rollout_id: Any = None,
              credentials: str | None = None) -> str:
    """The sha256 key of a request (``base_url`` must already be free of credentials;
    ``credentials``, a digest of them, only for an LM keyed by its credentials)."""
    payload = {"model": model, "base_url": base_url, "body": body, "rollout_id": rollout_id}
    if credentials is not None:  # absent otherwise, so the keys of existing disk caches stay valid
        payload["credentials"] = credentials
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class DiskStore:
    """JSON files keyed by sha256, in two-character fan-out directories."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory).expanduser()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[str] | None:
        try:
            with open(self._path(key), encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        completions = entry.get("completions") if isinstance(entry, dict) else None
        if isinstance(completions, list) and all(isinstance(c, (str, dict)) for c in completions):
            return completions
        return None

    def put(self, key: str, completions: list[str], model: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"model": model, "completions": completions}, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only a slower cache

    def clear(self) -> None:
        for path in self.directory.glob("??/*.json"):
            try:
                path.unlink()
            except OSError:
                pass


class LMCache:
    """A thread-safe in-memory LRU of ``key -> completions`` (``maxsize`` 0: none), backed by a
    :class:`DiskStore` when given."""

    def __init__(self, maxsize: int = DEFAULT_MEMORY_SIZE, directory: str | os.PathLike[str] | None = None):
        if not isinstance(maxsize, int) or maxsize < 0:
            raise ValueError(f"cache_size must be a non-negative integer, got {maxsize!r}")
        self.maxsize = maxsize
        self.disk = DiskStore(directory) if directory else None
        self._memory: LRUCache[str, list[str]] | None = LRUCache(int(maxsize)) if maxsize else None

    def get(self, key: str) -> list[str] | None:
        if self._memory is not None:
            hit = self._memory.get(key)
            if hit is not None:
                return list(hit)
        if self.disk is None:
            return None
        hit = self.disk.get(key)
        if hit is not None and self._memory is not None:
            self._memory.put(key, hit)
        return hit

    def put(self, key: str, completions: list[str], *, model: str = "") -> None:
        if self._memory is not None:
            self._memory.put(key, list(completions))
        if self.disk is not None:
            self.disk.put(key, list(completions), model)

    def clear_memory(self) -> None:
        if self._memory is not None:
            self._memory.clear()

    def clear(self) -> None:
        """Forget everything, on disk too."""
        self.clear_memory()
        if self.disk is not None:
            self.disk.clear()

    def __len__(self) -> int:
        return len(self._memory) if self._memory is not None else 0

    def __repr__(self) -> str:
        where = f", dir={str(self.disk.directory)!r}" if self.disk else ""
        return f"LMCache(entries={len(self)}, maxsize={self.maxsize}{where})"
