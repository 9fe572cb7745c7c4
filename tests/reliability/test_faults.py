"""An LM server that fails: rate limits and server errors are retried with backoff on both
backends, then raised as an ``LMError`` that names the model and the status; a request the user
got wrong (400) is not retried; a dropped connection is retried like a 5xx. Each probe counts
the requests the server saw, so a backend that retries too much or not at all fails."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import LMError
from dspex_core import OfflineLM
from dspex_core.testing.server import LocalLMServer

BACKENDS = ("native", "dspy")
FAST = {"num_retries": 2, "cache": False}


def _lm(server: LocalLMServer) -> dspex.LM:
    return dspex.LM("openai/fault-model", api_base=server.url, api_key="sk-fault-test", **FAST)


@pytest.fixture
def server():
    with LocalLMServer(OfflineLM()) as running:
        yield running


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_few_rate_limits_then_an_answer(server, backend):
    server.inject(status=429, times=2, retry_after=0)
    program = dspex.Predict.create("question -> answer", implementation=backend, lm=_lm(server))
    assert program(question="What is up?").answer
    assert [r["fault"] for r in server.requests] == ["429", "429", None]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_server_that_keeps_failing_is_an_lm_error_naming_model_and_status(server, backend):
    server.inject(status=503, times=50, retry_after=0, message="overloaded")
    program = dspex.Predict.create("question -> answer", implementation=backend, lm=_lm(server))
    with pytest.raises(LMError) as info:
        program(question="What is up?")
    assert "fault-model" in str(info.value) and "503" in str(info.value)
    assert len(server.requests) == 1 + FAST["num_retries"]  # the first try and its retries, no more


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bad_request_is_not_retried(server, backend):
    server.inject(status=400, times=50, message="unknown parameter")
    program = dspex.Predict.create("question -> answer", implementation=backend, lm=_lm(server))
    with pytest.raises(LMError, match="unknown parameter"):
        program(question="What is up?")
    assert len(server.requests) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dropped_connection_is_retried(server, backend):
    server.inject(drop=True, times=1)
    program = dspex.Predict.create("question -> answer", implementation=backend, lm=_lm(server))
    assert program(question="What is up?").answer
    assert [r["fault"] for r in server.requests] == ["drop", None]
