"""The bounded-wait rule every backend's LM calls follow (dspex_core.backend.lm_deadline): the
call's ``timeout`` is one deadline for every attempt and wait, a ``Retry-After`` wait that would
end after it is not started, and the error names the model, attempts, status and timeout."""

from __future__ import annotations

import math
import time

import pytest

from dspex_core import InputError, LMError, LMTimeoutError
from dspex_core.backend import lm_deadline


def test_the_defaults_are_litellms_timeout_and_a_minute_of_retry_after():
    assert lm_deadline.DEFAULT_TIMEOUT == 600.0 and lm_deadline.RETRY_AFTER_MAX == 60.0


@pytest.mark.parametrize("value", [0, -1, True, "1", math.inf, math.nan, [1]])
def test_a_timeout_must_be_a_positive_number_or_none(value):
    with pytest.raises(InputError, match="timeout must be a positive number of seconds or None"):
        lm_deadline.check_timeout(value)
    assert lm_deadline.check_timeout(None) is None and lm_deadline.check_timeout(2) == 2.0


@pytest.mark.parametrize("value", [-1, True, "60", math.inf])
def test_retry_after_max_must_be_a_number_of_seconds(value):
    with pytest.raises(InputError, match="retry_after_max"):
        lm_deadline.check_retry_after_max(value)
    assert lm_deadline.check_retry_after_max(0) == 0.0


def test_without_a_timeout_nothing_is_bounded():
    deadline = lm_deadline.Deadline(None, "m")
    assert deadline.remaining() is None and not deadline.expired()
    assert deadline.wait(3600.0, attempts=1, status=429, reason="r", retry_after=3600) == 3600.0


def test_a_wait_that_fits_is_allowed_and_one_that_does_not_ends_the_call():
    deadline = lm_deadline.Deadline(30.0, "openai/m", "http://host/v1")
    assert 29 < deadline.remaining() <= 30 and not deadline.expired()
    assert deadline.wait(1.5, attempts=1, status=503, reason="busy") == 1.5
    with pytest.raises(LMTimeoutError) as info:
        deadline.wait(60.0, attempts=2, status=429, reason="slow down", retry_after=3600)
    error = info.value
    assert isinstance(error, LMError) and error.model == "openai/m" and error.attempts == 2 and error.status == 429
    text = str(error)
    assert text.startswith("LM call to 'openai/m' at http://host/v1 timed out after 2 attempts (timeout=30 s")
    assert "retries and waits included; last status: 429): slow down; the server asked to wait 3600 s" in text
    assert "60 s is more than the" in text


def test_an_expired_deadline_says_so_and_names_one_attempt_in_the_singular():
    deadline = lm_deadline.Deadline(0.01, "m")
    time.sleep(0.02)
    assert deadline.expired() and deadline.remaining() == 0.0
    error = deadline.error(attempts=1, status=None, reason="no reply")
    assert "timed out after 1 attempt (timeout=0.01 s" in str(error) and "last status: none): no reply" in str(error)
