"""``print``s of code dspex runs but does not own, redacted: :func:`redacted_prints`.

DSPy's ``BestOfN`` and ``Refine`` print every failed attempt with the exception's text
(``BestOfN: Attempt 2 failed with rollout id 1: ...``). The LM errors dspex's backends raise are
already redacted, but an attempt can fail in other ways (a reward function, an adapter quoting a
reply), so while such code runs, ``sys.stdout`` and ``sys.stderr`` pass what is written through
:func:`dspex_core._redact.redact`. The wrappers are shared by every thread inside the block and
removed when the last one leaves (unless someone replaced them meanwhile, whose stream is then
left alone).
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from dspex_core._redact import redact

_lock = threading.Lock()
_users = 0
_installed: dict[str, "RedactingStream"] = {}


class RedactingStream:
    """A text stream that writes through to ``stream`` with secrets masked."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text, limit=None) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, encoding, isatty, ...
        return getattr(self.stream, name)


@contextmanager
def redacted_prints() -> Iterator[None]:
    """Within the block, what is written to ``sys.stdout``/``sys.stderr`` has secrets masked."""
    global _users
    with _lock:
        _users += 1
        if _users == 1:
            for name in ("stdout", "stderr"):
                current = getattr(sys, name)
                if current is not None and not isinstance(current, RedactingStream):
                    _installed[name] = RedactingStream(current)
                    setattr(sys, name, _installed[name])
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for name, wrapper in list(_installed.items()):
                    if getattr(sys, name) is wrapper:
                        setattr(sys, name, wrapper.stream)
                _installed.clear()
