"""Fault injection for :class:`~dspex_core.testing.server.LocalLMServer`.

Faults are queued first in, first out: each request takes the fault at the head of the queue
(if any) and uses up one of its ``times``. Queuing them lets a test script an exact sequence
("two 429s, then a slow answer, then success") and count attempts afterwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: Statuses a fault may answer with: the ones clients must handle (rate limit, server errors)
#: plus any other 4xx, for non-retryable paths.
_ALLOWED_STATUS = range(400, 600)


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next ``times`` requests.

    ``delay`` sleeps before answering (and combines with ``status`` or ``drop``); ``status``
    answers with that HTTP error instead of a completion; ``drop`` closes the connection
    without any response; ``retry_after`` adds a ``Retry-After`` header to an error status;
    ``message`` is the error message in the OpenAI-style error body and ``code`` its ``code`` (the
    status when not given; ``"context_length_exceeded"`` is OpenAI's for a prompt that does not
    fit). For a streamed answer,
    ``after_chunks=N`` cuts the stream after ``N`` text events: the connection is closed with the
    body unfinished, or, with ``stream_error="..."``, an OpenAI-style ``error`` event ends it
    (``stream_error`` alone: before the first text event).
    """

    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    retry_after: float | None = None
    message: str | None = None
    after_chunks: int | None = None
    stream_error: str | None = None
    code: str | None = None

    @property
    def kind(self) -> str:
        """A short label recorded with each request the fault hit."""
        if self.stream_error is not None:
            return "stream_error"
        if self.after_chunks is not None:
            return "stream_drop"
        if self.drop:
            return "drop"
        if self.status is not None:
            return str(self.status)
        return "delay"


class FaultQueue:
    """A thread-safe FIFO of :class:`Fault` objects with remaining use counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"times must be >= 1, got {fault.times}")
        if fault.status is not None and fault.status not in _ALLOWED_STATUS:
            raise ValueError(f"status must be an HTTP error status (400-599), got {fault.status}")
        if fault.delay < 0:
            raise ValueError(f"delay must be >= 0, got {fault.delay}")
        if fault.stream_error is not None and fault.after_chunks is None:
            fault.after_chunks = 0
        if fault.after_chunks is not None and (fault.after_chunks < 0 or fault.status is not None or fault.drop):
            raise ValueError("after_chunks must be >= 0 and cuts a streamed answer short: it goes with "
                             "stream_error= or alone, not with status= or drop=")
        if fault.status is None and not fault.drop and fault.delay == 0 and fault.after_chunks is None:
            raise ValueError("a fault needs status=, delay=, drop=True, after_chunks= or stream_error=")
        with self._lock:
            self._faults.append(fault)

    def take(self) -> Fault | None:
        """The fault for the next request (using one of its ``times``), or ``None``."""
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        """How many requests the queued faults will still hit."""
        with self._lock:
            return sum(f.times for f in self._faults)
