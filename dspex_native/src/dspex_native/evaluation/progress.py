"""A one-line progress bar for evaluations, in plain stdlib (no tqdm).

It shows what DSPy's shows (``Average Metric: 3.00 / 4 (75.0%)``) plus a bar and a count, on
stderr, rewriting one line with ``\\r``. Workers report from any thread, so updates are
serialised with a lock. Evaluate draws it only when stderr is a terminal or the caller asked
with ``display_progress=True``.
"""

from __future__ import annotations

import threading
from typing import Any, TextIO


class Progress:
    """Counts finished items and redraws the line after each one."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 20):
        self.total = total
        self.stream = stream
        self.width = width
        self.done = 0
        self.scored = 0
        self.score_sum: Any = 0
        self._lock = threading.Lock()

    def update(self, score: Any = None, failed: bool = False) -> None:
        """One item finished, with ``score`` (or ``failed=True``)."""
        with self._lock:
            self.done += 1
            if not failed:
                self.scored += 1
                self.score_sum += score
            if self.stream is not None:
                self.stream.write("\r" + self.line())
                self.stream.flush()

    def line(self) -> str:
        pct = round(100 * self.score_sum / self.scored, 1) if self.scored else 0
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        return (f"Average Metric: {self.score_sum:.2f} / {self.scored} ({pct}%) "
                f"|{bar}| {self.done}/{self.total}")

    def close(self) -> None:
        if self.stream is not None and self.done:
            with self._lock:
                self.stream.write("\n")
                self.stream.flush()
