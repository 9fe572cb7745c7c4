"""The progress line the ray executor draws on a terminal while work runs on the cluster."""

from __future__ import annotations

import time
from typing import Any, TextIO


class Progress:
    """``ray: 120/2000 done (1 failed), 16 running`` on one line, redrawn at most 10 times a second."""

    def __init__(self, total: int, stream: TextIO | None):
        self.total = total
        self.stream = stream
        self.done = 0
        self.failed = 0
        self._drawn = 0.0

    def update(self, failed: bool, running: int) -> None:
        self.done += 1
        self.failed += failed
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self._drawn < 0.1 and self.done < self.total:
            return
        self._drawn = now
        failures = f" ({self.failed} failed)" if self.failed else ""
        self.stream.write(f"\rray: {self.done}/{self.total} done{failures}, {running} running ")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.done:
            self.stream.write("\n")
            self.stream.flush()


def terminal(option: Any, caller_draws: bool) -> TextIO | None:
    """Where to draw: stderr when ``progress=True``, or by default when it is a terminal and the
    caller (an evaluation, which draws its own line) does not draw one."""
    import sys

    if option is None:
        isatty = getattr(sys.stderr, "isatty", None)
        option = bool(isatty and isatty()) and not caller_draws
    return sys.stderr if option else None
