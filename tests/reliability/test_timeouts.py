"""Bounded waits: an LM's ``timeout`` bounds the whole call on both backends, sync and async.

A server that trickles its reply a few bytes at a time (for longer than the timeout), one that
never answers, and one that answers 429 with ``Retry-After: 3600`` each keep an HTTP client
waiting past a per-read timeout; dspex's rule is that the call ends by its ``timeout`` all the
same, with an ``LMTimeoutError`` (an ``LMError``) naming the model and the attempts, and leaves
no thread behind. Each call runs in a worker thread joined with a bound, so a backend that does
not stop fails the probe instead of hanging the suite. Retries still happen inside the time the
call has, and ``retry_after_max`` caps a ``Retry-After`` on both backends.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import dspex_core as dspex
from dspex_core import LMError, LMTimeoutError
from slow_lm_server import THREAD_NAME, SlowLMServer

BACKENDS = ("native", "dspy")
MODEL = "openai/slow-model"
TIMEOUT = 1.0
#: A call given TIMEOUT seconds must be over within this (generous: busy machines, first imports).
BOUND = 4.0


def _threads() -> set[threading.Thread]:
    """The live threads, but the server's (those of earlier tests may end meanwhile: compare sets)."""
    return {thread for thread in threading.enumerate() if thread.name != THREAD_NAME}


def _call(program, mode: str, limit: float, **options):
    """``(result or exception, seconds)`` of one call, run in a worker thread joined after ``limit``
    (``options``: the call's, e.g. ``timeout=``)."""
    outcome: dict = {}

    def run():
        start = time.monotonic()
        try:
            if mode == "async":
                outcome["value"] = asyncio.run(program.acall(question="Still there?", **options))
            else:
                outcome["value"] = program(question="Still there?", **options)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["value"] = exc
        outcome["seconds"] = time.monotonic() - start

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"the call was still running after {limit} s"
    return outcome["value"], outcome["seconds"]


def _program(server: SlowLMServer, backend: str, **settings):
    lm = dspex.LM(MODEL, api_base=server.url, api_key="sk-slow-test", cache=False, **settings)
    return dspex.Predict.create("question -> answer", implementation=backend, lm=lm)


@pytest.fixture(autouse=True, scope="module")
def _warm():
    """Both backends' first call imports their HTTP stacks; make that happen before any clock runs."""
    with SlowLMServer("ok") as server:
        for backend in BACKENDS:
            for mode in ("sync", "async"):
                _call(_program(server, backend), mode, 120)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("behaviour, status", [("trickle", None), ("hang", None), ("retry_after", 429)])
def test_the_timeout_bounds_the_whole_call(backend, mode, behaviour, status):
    before = _threads()
    with SlowLMServer(behaviour) as server:
        error, seconds = _call(_program(server, backend, timeout=TIMEOUT), mode, 30)
        asked = server.requests
    assert isinstance(error, LMTimeoutError) and isinstance(error, LMError), error
    assert seconds < BOUND, f"{backend} {mode} took {seconds:.1f} s with timeout={TIMEOUT}"
    assert error.model == MODEL and f"'{MODEL}'" in str(error)
    assert error.attempts == asked == 1 and "after 1 attempt" in str(error)  # no time was left for another
    assert error.status == status and f"timeout={TIMEOUT:g} s" in str(error)
    if behaviour == "retry_after":
        assert "Retry-After" in str(error) and "3600 s" in str(error)
    assert "sk-slow-test" not in str(error)
    assert not _threads() - before, "the call left a thread behind"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_retries_happen_inside_the_time_the_call_has(backend, mode):
    with SlowLMServer("unavailable", "unavailable", "ok") as server:
        prediction, seconds = _call(_program(server, backend, timeout=30), mode, 30)
    assert not isinstance(prediction, BaseException), prediction
    assert prediction.answer == "slow but sure" and server.requests == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_retry_after_is_capped_by_retry_after_max(backend):
    # dspy honours any Retry-After as sent; dspex caps it (60 s unless retry_after_max says less)
    with SlowLMServer("retry_after", "ok") as server:
        prediction, seconds = _call(_program(server, backend, timeout=30, retry_after_max=0.5), "sync", 20)
    assert not isinstance(prediction, BaseException), prediction
    assert prediction.answer == "slow but sure" and server.requests == 2
    assert seconds < 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_after_a_timeout_the_next_call_works(backend):
    with SlowLMServer("trickle", "ok") as server:
        program = _program(server, backend, timeout=TIMEOUT, num_retries=0)
        error, _ = _call(program, "sync", 30)
        prediction, _ = _call(program, "sync", 30)
    assert isinstance(error, LMTimeoutError)
    assert prediction.answer == "slow but sure"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("timeout", [0, -1, "1", True, float("inf")])
def test_a_timeout_that_is_not_a_positive_number_is_an_input_error(backend, timeout):
    with SlowLMServer("ok") as server:
        with pytest.raises(dspex.InputError, match="timeout must be a positive number"):
            _program(server, backend, timeout=timeout)(question="q")


# -- a module call's timeout= and named profiles ---------------------------------------------------

def _timed_out(error, seconds, before, limit_text):
    assert isinstance(error, LMTimeoutError) and isinstance(error, TimeoutError), error
    assert seconds < BOUND, f"took {seconds:.1f} s"
    assert limit_text in str(error), str(error)
    assert not _threads() - before, "the call left a thread behind"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_module_calls_timeout_bounds_its_lm_calls(backend, mode):
    before = _threads()
    with SlowLMServer("hang") as server:
        error, seconds = _call(_program(server, backend, timeout=300), mode, 30, timeout=TIMEOUT)
    _timed_out(error, seconds, before, f"the module call's timeout={TIMEOUT:g} s")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_module_calls_timeout_spans_several_lm_calls(backend):
    # each attempt is a 429 asking for 0.4 s: the attempts and waits add up past the module
    # call's timeout, which ends the call although the LM's own allows 300 s
    before = _threads()
    with SlowLMServer("retry_after", retry_after="0.4") as server:
        program = _program(server, backend, timeout=300, num_retries=20)
        error, seconds = _call(program, "sync", 30, timeout=TIMEOUT)
        asked = server.requests
    _timed_out(error, seconds, before, f"the module call's timeout={TIMEOUT:g} s")
    assert asked >= 2 and error.attempts == asked


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_inference_profile_is_the_default_timeout(backend):
    before = _threads()
    dspex.configure(timeout_profiles={"inference": TIMEOUT})  # process-wide: the call runs in a worker thread
    try:
        with SlowLMServer("hang") as server:
            error, seconds = _call(_program(server, backend), "sync", 30)
    finally:
        dspex.configure(timeout_profiles={})
    _timed_out(error, seconds, before, f"timeout={TIMEOUT:g} s")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_lm_timeout_may_name_a_profile(backend, mode):
    before = _threads()
    dspex.configure(timeout_profiles={"quick": TIMEOUT})
    try:
        with SlowLMServer("trickle") as server:
            error, seconds = _call(_program(server, backend, timeout="quick"), mode, 30)
        _timed_out(error, seconds, before, f"timeout={TIMEOUT:g} s")
        with SlowLMServer("ok") as server:
            prediction, _ = _call(_program(server, backend, timeout="quick"), mode, 30, timeout="batch")
        assert prediction.answer == "slow but sure"
    finally:
        dspex.configure(timeout_profiles={})
