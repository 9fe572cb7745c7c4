"""Retries compared with DSPy's: plain ``dspy.LM(model)`` (DSPy 3.4's default engine, as a user
runs it), native ``dspex.LM`` and dspex's dspy backend against the same local fault server.

For each fault the server counts the requests each client made: which statuses are retried (408,
429 and every 5xx; 409, 425 and the other 4xx not), how many attempts ``num_retries`` gives, a
dropped connection and a reply that is not JSON, and the final error (DSPy's class and status,
dspex's ``LMError`` with the same status and its attempt count). The waits between attempts are
recorded rather than slept (each client's ``time.sleep``), so nothing here depends on timing
except the one whole-call timeout probe, whose margins are wide.

dspex's deliberate differences are asserted as differences (docs/limits.md, "Retries compared
with DSPy"): native's backoff (0.5 s doubling up to 8 s, half of it random, where DSPy waits
1, 2, 4, ... s up to 60 s and the same for every caller); a ``Retry-After`` above
``retry_after_max`` (60 s) is capped, where DSPy waits as long as the server asks; and
``timeout`` bounds the whole call, where DSPy's bounds each attempt.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402

import dspy  # noqa: E402
import pytest  # noqa: E402

import dspex_core as dspex  # noqa: E402
from dspex_core.testing.server import LocalLMServer  # noqa: E402

MODEL = "openai/fault-model"
KEY = "sk-retry-parity"
MESSAGES = [{"role": "user", "content": "What is up?"}]
ANSWER = "[[ ## answer ## ]]\nfine\n\n[[ ## completed ## ]]"


class SleepRecorder:
    """Stands in for the ``time`` module of a client's retry loop: ``sleep`` is recorded, not
    slept; everything else is the real ``time``."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def waits(monkeypatch) -> dict[str, SleepRecorder]:
    """The waits each client asked for between attempts (DSPy's engine loop, native's client)."""
    import dspy.clients.execution as dspy_execution

    import dspex_native.lm.client as native_client

    recorders = {"dspy": SleepRecorder(), "native": SleepRecorder()}
    monkeypatch.setattr(dspy_execution, "time", recorders["dspy"])
    monkeypatch.setattr(native_client, "time", recorders["native"])
    return recorders


@pytest.fixture
def server() -> Iterator[LocalLMServer]:
    with LocalLMServer(ANSWER) as running:
        yield running


def plain_dspy(url: str, **settings: Any) -> Callable[[], Any]:
    """A call through ``dspy.LM`` as a DSPy user makes it (no dspex anywhere)."""
    lm = dspy.LM(MODEL, api_base=url, api_key=KEY, cache=False, **settings)
    return lambda: lm(MESSAGES[0]["content"])


def native(url: str, **settings: Any) -> Callable[[], Any]:
    from dspex_native.lm import HTTPLMClient

    client = HTTPLMClient(dspex.LM(MODEL, api_base=url, api_key=KEY, cache=False, **settings))
    return lambda: client(MESSAGES)


def dspy_backend(url: str, **settings: Any) -> Callable[[], Any]:
    """dspex's dspy backend: a Predict whose LM is dspy's, behind dspex."""
    lm = dspex.LM(MODEL, api_base=url, api_key=KEY, cache=False, **settings)
    program = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    return lambda: program(question="What is up?")


CLIENTS = {"plain dspy": plain_dspy, "native": native, "dspy backend": dspy_backend}


def run(server: LocalLMServer, client: str, inject: dict[str, Any] | None, **settings: Any) -> tuple[int, Any]:
    """``(requests the server saw, the error raised or None)`` for one call of ``client``."""
    server.reset()
    if inject:
        server.inject(**inject)
    call = CLIENTS[client](server.url, **settings)
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the error is the outcome
        return len(server.requests), exc
    return len(server.requests), None


# -- which statuses are retried, and how often ------------------------------------------------------
RETRIED = [408, 429, 500, 502, 503, 504, 529]
NOT_RETRIED = [400, 401, 403, 404, 409, 413, 422, 425]


@pytest.mark.parametrize("status", RETRIED + NOT_RETRIED)
def test_the_same_statuses_are_retried_as_often_with_the_same_final_status(server, waits, status):
    fault = {"status": status, "times": 50, "retry_after": 0}
    seen = {client: run(server, client, fault, num_retries=2) for client in CLIENTS}
    want = 3 if status in RETRIED else 1
    assert {client: requests for client, (requests, _) in seen.items()} == dict.fromkeys(CLIENTS, want)
    reference = seen["plain dspy"][1]
    assert type(reference).__module__ == "dspy.utils.exceptions" and reference.status == status
    for client in ("native", "dspy backend"):
        error = seen[client][1]
        assert type(error) is dspex.LMError, (client, error)
        assert (error.status, error.attempts) == (status, want), client


@pytest.mark.parametrize("num_retries", [0, 1, 3])
def test_num_retries_gives_as_many_attempts_as_dspy(server, waits, num_retries):
    fault = {"status": 503, "times": 50, "retry_after": 0}
    seen = {client: run(server, client, fault, num_retries=num_retries)[0] for client in CLIENTS}
    assert seen == dict.fromkeys(CLIENTS, num_retries + 1)


def test_a_failure_that_passes_is_retried_into_an_answer_alike(server, waits):
    for client in CLIENTS:
        assert run(server, client, {"status": 429, "times": 2, "retry_after": 0}, num_retries=3) == (3, None), client
        assert [r["fault"] for r in server.requests] == ["429", "429", None]


def test_a_dropped_connection_is_retried_alike(server, waits):
    seen = {client: run(server, client, {"drop": True, "times": 50}, num_retries=2) for client in CLIENTS}
    assert {client: requests for client, (requests, _) in seen.items()} == dict.fromkeys(CLIENTS, 3)
    assert type(seen["plain dspy"][1]).__name__ == "LMTransportError"
    for client in ("native", "dspy backend"):
        error = seen[client][1]
        assert type(error) is dspex.LMError and (error.status, error.attempts) == (None, 3), (client, error)


# -- a reply that is not JSON ---------------------------------------------------------------------------
class NotJSONServer:
    """Answers every request with 200 and a body that is not JSON; counts the requests."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True, name="not-json-server")
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests += 1
                reply = b"<html>upstream said no</html>"
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
                             b"content-length: " + str(len(reply)).encode() + b"\r\n\r\n" + reply)

    def close(self) -> None:
        self.listener.close()


def test_a_reply_that_is_not_json_is_treated_alike():
    """DSPy's engine does not retry a 200 whose body is not JSON; nor does dspex."""
    listener = NotJSONServer()
    try:
        seen = {}
        for client, make in CLIENTS.items():
            listener.requests = 0
            try:
                make(listener.url, num_retries=2)()
                error = None
            except Exception as exc:  # noqa: BLE001
                error = exc
            seen[client] = (listener.requests, error)
    finally:
        listener.close()
    assert {client: requests for client, (requests, _) in seen.items()} == dict.fromkeys(CLIENTS, 1), seen
    assert type(seen["plain dspy"][1]).__name__ == "LMProviderError" and seen["plain dspy"][1].status == 200
    for client in ("native", "dspy backend"):
        error = seen[client][1]
        assert type(error) is dspex.LMError and (error.status, error.attempts) == (200, 1), (client, error)


# -- the waits between attempts: DSPy's and dspex's documented differences -------------------------
def test_retry_after_is_honoured_alike_up_to_the_cap(server, waits):
    for client in ("plain dspy", "native"):
        assert run(server, client, {"status": 429, "times": 2, "retry_after": 1.5}, num_retries=3) == (3, None)
    assert waits["dspy"].waits == waits["native"].waits == [1.5, 1.5]


def test_a_retry_after_above_retry_after_max_is_capped_where_dspy_waits_it_out(server, waits):
    """The documented difference: a server asking for two minutes gets them from DSPy, 60 s (the
    default ``retry_after_max``) or the LM's own cap from dspex."""
    for client in ("plain dspy", "native", "dspy backend"):
        assert run(server, client, {"status": 429, "times": 1, "retry_after": 120}, num_retries=1) == (2, None)
    assert waits["dspy"].waits == [120.0, 60.0]  # plain dspy, then the dspy backend
    assert waits["native"].waits == [60.0]
    assert run(server, "native", {"status": 429, "times": 1, "retry_after": 120}, num_retries=1,
               retry_after_max=5) == (2, None)
    assert waits["native"].waits == [60.0, 5.0]


def test_the_backoff_without_retry_after_is_dspex_s_own(server, waits, monkeypatch):
    """The documented difference: DSPy waits 2**k s after attempt k+1 (1, 2, 4, ..., at most 60),
    the same for every caller; native waits 0.5 s doubling up to 8 s, its second half random
    (equal jitter), so that callers failing together do not retry in lockstep. The dspy backend
    keeps DSPy's waits."""
    import dspex_native.lm.retry as native_retry

    monkeypatch.setattr(native_retry.random, "uniform", lambda low, high: high)  # the longest wait native draws
    for client in CLIENTS:
        assert run(server, client, {"status": 503, "times": 4}, num_retries=4) == (5, None)
    assert waits["dspy"].waits == [1, 2, 4, 8] * 2  # plain dspy, then the dspy backend: DSPy's waits
    assert waits["native"].waits == [0.5, 1.0, 2.0, 4.0]


def test_the_timeout_bounds_the_whole_call_where_dspy_bounds_each_attempt(server):
    """The documented difference: three slow failures (0.4 s each) before an answer, timeout=1.0.
    Each of DSPy's attempts is within its timeout, so it answers after four; dspex's call ends
    at its timeout with LMTimeoutError."""
    fault = {"status": 503, "delay": 0.4, "times": 3, "retry_after": 0}
    requests, error = run(server, "plain dspy", fault, num_retries=3, timeout=1.0)
    assert (requests, error) == (4, None)
    requests, error = run(server, "native", fault, num_retries=3, timeout=1.0)
    assert isinstance(error, dspex.LMTimeoutError) and requests < 4, (requests, error)
