"""Which statuses the native LM client retries, and the jitter of its waits: each rule pinned so
that dropping a status from the set or the random half of a wait fails a test."""

from __future__ import annotations

import pytest

from dspex_core import LM, LMError
from dspex_core.testing.fixtures import local_lm_server_factory  # noqa: F401 - fixture
from dspex_native.lm import HTTPLMClient
from dspex_native.lm import retry as retry_module
from dspex_native.lm.retry import RetryPolicy, is_retryable_status

MESSAGES = [{"role": "user", "content": "hello"}]
FAST = {"retry_base_delay": 0.001, "retry_max_delay": 0.01, "cache": False}


def lm_for(server, **settings) -> LM:
    return LM("openai/test-model", api_base=server.url, **{**FAST, **settings})


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 529])
def test_a_retryable_status_is_retried_until_the_server_answers(local_lm_server_factory, status):
    """408 (request timeout), 429 and every 5xx: DSPy 3.4's engine's set (tests/reliability compares
    the two on a fault server)."""
    server = local_lm_server_factory("fine")
    server.inject(status=status, times=2)
    assert HTTPLMClient(lm_for(server))(MESSAGES) == ["fine"]
    assert [r["fault"] for r in server.requests] == [str(status), str(status), None]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422, 425])
def test_a_caller_error_fails_at_the_first_attempt(local_lm_server_factory, status):
    """Any other 4xx, 409 (conflict) and 425 (too early) included: DSPy 3.4's engine retries neither."""
    server = local_lm_server_factory("fine")
    server.inject(status=status, times=5)
    with pytest.raises(LMError) as info:
        HTTPLMClient(lm_for(server, api_key="sk-test"))(MESSAGES)
    assert (info.value.status, info.value.attempts) == (status, 1)
    assert len(server.requests) == 1


def test_the_status_rule_on_its_own():
    assert [s for s in range(400, 600) if is_retryable_status(s)] == [408, 429, *range(500, 600)]


def test_half_of_each_wait_is_random(monkeypatch):
    """Equal jitter: the wait after attempt k is ceiling/2 plus uniform(0, ceiling/2), where the
    ceiling doubles from base_delay up to max_delay."""
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    drawn = []

    def uniform(low, high):
        drawn.append((low, high))
        return high

    monkeypatch.setattr(retry_module.random, "uniform", uniform)
    assert [policy.delay(attempt) for attempt in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert drawn == [(0, 0.25), (0, 0.5), (0, 1.0), (0, 2.0), (0, 4.0), (0, 4.0)]
    monkeypatch.setattr(retry_module.random, "uniform", lambda low, high: low)
    assert [policy.delay(attempt) for attempt in range(1, 4)] == [0.25, 0.5, 1.0]


def test_waits_differ_between_callers():
    """Two callers failing together do not retry in lockstep."""
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert len({policy.delay(3) for _ in range(50)}) > 40
