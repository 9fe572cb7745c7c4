"""When to retry an LM request, and how long to wait.

Retried: HTTP 408, 429 and every 5xx, connection errors and timeouts: the statuses DSPy 3.4's
default engine retries (lm15 maps 408 and 504 to its timeout error, 429 to a rate limit, 5xx to a
server error, and DSPy retries those). Everything else (400, 401, 403, 404, 409, 413, 422, 425,
...) is the caller's problem and fails at once, as in DSPy (tests/reliability/test_retry_parity.py
compares both on a fault server). Waits grow exponentially with "equal jitter" (half fixed, half
random), as the OpenAI SDK does (0.5 s doubling up to 8 s), where DSPy waits 1, 2, 4, ... s
without jitter (docs/limits.md); a ``Retry-After`` header is honoured up to a cap
(``dspex_core.backend.lm_deadline.RETRY_AFTER_MAX``, both backends' rule) so a misbehaving server
cannot park a caller for hours; the call's ``timeout`` bounds the waits too (the client's deadline).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from dspex_core.backend import lm_deadline

#: The 4xx statuses retried (with every 5xx): DSPy 3.4's engine's set.
RETRYABLE_STATUS = frozenset({408, 429})

#: dspy.LM's default ``num_retries``.
DEFAULT_NUM_RETRIES = 3


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import time

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """``num_retries`` extra attempts after the first, with exponential backoff and jitter."""

    num_retries: int = DEFAULT_NUM_RETRIES
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = lm_deadline.RETRY_AFTER_MAX

    def __post_init__(self) -> None:
        if isinstance(self.num_retries, bool) or not isinstance(self.num_retries, int) or self.num_retries < 0:
            raise ValueError(f"num_retries must be a non-negative integer, got {self.num_retries!r}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must be >= 0")

    @property
    def attempts(self) -> int:
        return self.num_retries + 1

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)
