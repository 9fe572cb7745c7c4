"""A one-line progress count on stderr for optimizer runs, drawn only when stderr is a terminal
(DSPy draws tqdm bars always; dspex stays quiet in logs and pipes)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None):
        if stream is None:
            isatty = getattr(sys.stderr, "isatty", None)
            stream = sys.stderr if isatty is not None and isatty() else None
        self.label = label
        self.total = total
        self.stream = stream
        self.done = 0

    def update(self, found: int) -> None:
        self.done += 1
        if self.stream is not None:
            self.stream.write(f"\r{self.label}: {self.done}/{self.total} examples, {found} traces")
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.done:
            self.stream.write("\n")
            self.stream.flush()
