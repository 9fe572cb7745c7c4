"""DSPy's ``track_usage``: the LM usage of every call in a block, per model.

Calls of a ``dspy.LM`` are counted by dspex (``dspex.track_usage``, which sees native's calls on
every thread the block's context reaches); calls of a custom LM (``BaseLM`` subclasses such as
``DummyLM``) report their response's ``usage`` to ``dspy.settings.usage_tracker`` as DSPy's do.
:class:`UsageTracker` is DSPy's object over both. A nested block's custom-LM entries roll up into
the enclosing one on exit (dspex's own trackers nest by themselves).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any, Iterator

import dspex_core
from dspex_core.usage import merge

from dspex_compat._settings import settings

__all__ = ["UsageTracker", "track_usage"]


class UsageTracker:
    """``usage_data`` (custom LMs' entries per model) and ``get_total_tokens()`` (all calls, merged per model)."""

    def __init__(self, dspex_tracker: Any = None):
        self.usage_data: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._dspex = dspex_tracker

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        if len(usage_entry) > 0:
            self.usage_data[lm].append({k: v.model_dump() if hasattr(v, "model_dump") else v
                                        for k, v in usage_entry.items()})

    def get_total_tokens(self) -> dict[str, dict[str, Any]]:
        totals: dict[str, dict[str, Any]] = dict(self._dspex.get_total_tokens()) if self._dspex is not None else {}
        for lm, entries in self.usage_data.items():
            total = totals.get(lm) or {}
            for entry in entries:
                total = merge(total, entry)
            totals[lm] = total
        return totals


@contextlib.contextmanager
def track_usage() -> Iterator[UsageTracker]:
    """``with dspy.track_usage() as usage: ...; usage.get_total_tokens()``."""
    parent = settings.usage_tracker
    with dspex_core.track_usage() as counted:
        tracker = UsageTracker(counted)
        with settings.context(usage_tracker=tracker):
            try:
                yield tracker
            finally:
                if parent is not None and hasattr(parent, "usage_data"):
                    for lm, entries in tracker.usage_data.items():
                        parent.usage_data[lm].extend(entries)
