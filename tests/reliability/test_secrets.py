"""No secret an LM sends ever reaches an output, whatever echoes it, on both backends.

The server (:mod:`secret_echo_server`) refuses every request and quotes back every credential it
was sent: the bearer token alone, the decoded Basic credentials, every header value, in the
error body and in a response header. Each secret source is probed (the ``api_key`` argument,
``OPENAI_API_KEY`` holding a key of no known shape, ``user:password@`` in ``api_base``, an
``X-Api-Key`` in ``extra_headers``) through each output path: the exception (text, ``repr``,
``args``, the chained traceback), every log record at DEBUG (root, and dspy's own logger, which
does not propagate), what reaches stdout/stderr (LiteLLM's and dspy's stream handlers, BestOfN's
prints), ``repr``/``describe()``/``public_settings()``, saved state, telemetry events, and the
stdout/stderr of ``dspex run`` and ``dspex demo``. Each test also checks that the echo did reach
the output redacted (``Incorrect API key provided`` with ``<hidden>``), so it cannot pass because
nothing was echoed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import traceback
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from secret_echo_server import SecretEchoServer

import dspex_core as dspex
from dspex_core import telemetry

KEY = "tok_live_ABC123xyz"  # no sk- shape: only knowing it can hide it
USER, PASSWORD = "alice", "pw-S3cret-9xq"
HEADER_KEY = "hdr_9f8e7d6c5b4a"
PLACEHOLDER = "placeholder-key"  # for sources that are not a key: dspy sends nothing without one
SOURCES = ("api_key", "env", "url", "header")
BACKENDS = ("native", "dspy")
MODEL = "openai/test-model"
QUIET = {"cache": False, "num_retries": 0}


def secrets_of(source: str) -> list[str]:
    """Every form of the source's secret that must never appear."""
    if source == "url":
        return [PASSWORD, f"{USER}:{PASSWORD}", base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    return [HEADER_KEY] if source == "header" else [KEY]


def lm_settings(source: str, server: SecretEchoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The LM settings (and environment) that make the LM send the source's secret."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    if source == "api_key":
        return {"api_base": server.url, "api_key": KEY}
    if source == "env":
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        return {"api_base": server.url}
    if source == "url":  # dspy sends nothing without a key
        return {"api_base": server.url_with(f"{USER}:{PASSWORD}"), "api_key": PLACEHOLDER}
    return {"api_base": server.url, "api_key": PLACEHOLDER, "extra_headers": {"X-Api-Key": HEADER_KEY}}


def assert_hidden(texts: dict[str, str], secrets: list[str]) -> None:
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked through {where}: ...{_around(text, secret)}..."


def _around(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 120):at + len(secret) + 40]


def exception_texts(exc: BaseException) -> dict[str, str]:
    return {"str(exc)": str(exc), "repr(exc)": repr(exc), "exc.args": repr(exc.args),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


@contextmanager
def every_log_record(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Every record at DEBUG: the root's, and those of loggers that do not propagate (dspy's)."""
    quiet = [logging.getLogger(name) for name in ("dspy", "LiteLLM")]
    saved = [(lg, lg.level, lg.propagate) for lg in quiet]
    for lg in quiet:
        lg.addHandler(caplog.handler)
        lg.setLevel(logging.DEBUG)
        lg.propagate = False  # the handler is attached here: one copy of each record
    try:
        with caplog.at_level(logging.DEBUG):
            yield caplog.records
    finally:
        for lg, level, propagate in saved:
            lg.removeHandler(caplog.handler)
            lg.setLevel(level)
            lg.propagate = propagate


def log_texts(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    records = "\n".join(f"{r.name}: {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records)
    return {"log records": records, "caplog.text": caplog.text}


@pytest.fixture
def events() -> Iterator[list[tuple]]:
    seen: list[tuple] = []
    for event in (telemetry.ROUTE, telemetry.FALLBACK, telemetry.EXECUTE):
        telemetry.attach(event, lambda e, m, md: seen.append((e, dict(m), dict(md))))
    yield seen


def _echoed(text: str) -> bool:
    return "Incorrect API key provided" in text and "<hidden>" in text


# -- the Python API, each source, each backend ------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("source", SOURCES)
def test_an_echoed_secret_reaches_no_output(source, backend, monkeypatch, caplog, capfd, events, tmp_path):
    with SecretEchoServer(status=401) as server:
        lm = dspex.LM(MODEL, **lm_settings(source, server, monkeypatch), **QUIET)
        with every_log_record(caplog):
            ref = dspex.Predict.create("question -> answer", implementation=backend, lm=lm)
            with pytest.raises(dspex.LMError) as info:
                ref(question="q")
        ref.save(tmp_path / "program.json")
    out, err = capfd.readouterr()
    texts = {**exception_texts(info.value), **log_texts(caplog), "stdout": out, "stderr": err,
             "repr(lm)": repr(lm), "public_settings": repr(lm.public_settings()), "describe": repr(ref.describe()),
             "saved": (tmp_path / "program.json").read_text(), "telemetry": repr(events),
             "dump_state": json.dumps(ref.implementation.dump_state(ref.state), default=repr)}
    assert_hidden(texts, secrets_of(source))
    if backend == "dspy" and source == "url":
        # dspy 3.4's engine reads ``user:password@`` as part of the host name: the request never
        # leaves, and the connection error that names the host is what must not show them
        assert "failed to connect" in str(info.value) and not server.requests
        return
    assert _echoed(str(info.value)), str(info.value)
    assert info.value.status == 401 and server.requests
    if source == "url":  # sent as HTTP Basic, as httpx sends a URL's credentials
        assert f"{USER}:{PASSWORD}" in server.requests[0]["presented"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("status", [400, 500])
def test_an_environment_key_echoed_with_other_statuses_stays_hidden(status, backend, monkeypatch, caplog, capfd):
    with SecretEchoServer(status=status) as server:
        lm = dspex.LM(MODEL, **lm_settings("env", server, monkeypatch), **QUIET)
        with every_log_record(caplog):
            with pytest.raises(dspex.LMError) as info:
                dspex.Predict.create("question -> answer", implementation=backend, lm=lm)(question="q")
    out, err = capfd.readouterr()
    assert_hidden({**exception_texts(info.value), **log_texts(caplog), "stdout": out, "stderr": err}, [KEY])
    assert _echoed(str(info.value)) and info.value.status == status


def test_a_fallback_event_hides_the_key(monkeypatch, events):
    """allow_fallback: a backend's failure text goes into the event that hands over to the next
    backend; here a custom LM that calls a provider with OPENAI_API_KEY raises what it echoed."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def provider_lm(messages, **settings):
        raise RuntimeError(f"provider said: Incorrect API key provided: {os.environ['OPENAI_API_KEY']}")

    with dspex.context(lm=provider_lm, allow_fallback=True), pytest.raises(RuntimeError):
        dspex.Predict.create("question -> answer")(question="q")
    fallbacks = [md for e, _, md in events if e == telemetry.FALLBACK]
    assert fallbacks and _echoed(fallbacks[0]["error"])
    assert_hidden({"telemetry": repr(events)}, [KEY])


@pytest.mark.parametrize("backend", BACKENDS)
def test_best_of_n_prints_and_evaluate_logs_hide_the_key(backend, monkeypatch, caplog, capfd):
    """The failures these loops swallow are printed (BestOfN) or logged (Evaluate)."""
    with SecretEchoServer(status=401) as server:
        lm = dspex.LM(MODEL, **lm_settings("env", server, monkeypatch), **QUIET)
        inner = dspex.Predict.create("question -> answer", implementation=backend, lm=lm)
        devset = [dspex.Example(question=q, answer=q).with_inputs("question") for q in ("a", "b")]
        with every_log_record(caplog):
            best = dspex.BestOfN.create(inner, N=2, reward_fn=lambda args, pred: 1.0, threshold=1.0, fail_count=1,
                                        implementation=backend)
            with pytest.raises(dspex.LMError) as info:
                best(question="q")
            evaluate = dspex.Evaluate.create(devset=devset, metric=lambda ex, pred, trace=None: 1.0, num_threads=1,
                                             max_errors=5, implementation=backend)
            result = evaluate(program=inner)
    out, err = capfd.readouterr()
    assert "Attempt 1 failed" in out and _echoed(out)
    assert result.score == 0.0
    assert_hidden({**exception_texts(info.value), **log_texts(caplog), "stdout": out, "stderr": err}, [KEY])


def test_the_dspy_backends_saved_lm_has_no_credential(monkeypatch, tmp_path):
    """A dspy program holding the backend's LM (as optimizers set one on predictors) saves it as
    plain dspy.LM state: no key, header or URL credentials."""
    from dspex_dspy import store
    from dspex_dspy.translate import to_dspy_lm

    lm = dspex.LM(MODEL, api_base=f"http://{USER}:{PASSWORD}@127.0.0.1:9/v1", api_key=KEY,
                  extra_headers={"X-Api-Key": HEADER_KEY}, headers={"Authorization": f"Token {HEADER_KEY}"},
                  organization="org-secret-123", temperature=0.3)
    dspy_lm = to_dspy_lm(lm)
    ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)
    store.get(ref.state).lm = dspy_lm
    ref.save(tmp_path / "p.json")
    texts = {"dump_state": json.dumps(dspy_lm.dump_state()), "saved": (tmp_path / "p.json").read_text(),
             "backend dump_state": json.dumps(ref.implementation.dump_state(ref.state)), "repr": repr(dspy_lm)}
    assert_hidden(texts, [KEY, HEADER_KEY, PASSWORD, "org-secret-123"])
    assert "127.0.0.1:9/v1" in texts["saved"] and '"temperature": 0.3' in texts["saved"]


def test_the_native_endpoint_and_client_show_no_credential():
    from dspex_native.lm import get_client
    from dspex_native.lm.providers import resolve

    lm = dspex.LM(MODEL, api_base=f"http://{USER}:{PASSWORD}@127.0.0.1:9/v1", api_key=KEY)
    shown = {"endpoint": repr(resolve(lm)), "client": repr(get_client(lm)), "lm": repr(lm),
             "public_settings": repr(lm.public_settings())}
    assert_hidden(shown, secrets_of("url") + [KEY])
    assert "127.0.0.1:9/v1" in shown["endpoint"] and "127.0.0.1:9/v1" in shown["public_settings"]


# -- the command line: dspex run and dspex demo ------------------------------------------------------

def _cli_env(source: str, server: SecretEchoServer) -> tuple[list[str], dict[str, str]]:
    """(arguments, environment) that make a dspex command send the source's secret: ``--api-key``,
    ``OPENAI_API_KEY``, or the base URL's credentials in ``DSPEX_LM`` (with no retries: dspy
    retries the connection error it gets for such a URL, with waits)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "DSPEX_LM")}
    env.update(LITELLM_LOG="DEBUG", DSPEX_DISABLE_PLUGINS="example")  # any LiteLLM debug line on stderr too
    if source == "url":
        env["DSPEX_LM"] = json.dumps({"model": MODEL, "api_base": server.url_with(f"{USER}:{PASSWORD}"),
                                      "api_key": PLACEHOLDER, "num_retries": 0})
        return [], env
    if source == "env":
        env["OPENAI_API_KEY"] = KEY
    return ["--lm", MODEL, "--api-base", server.url, *(("--api-key", KEY) if source == "api_key" else ())], env


@pytest.mark.parametrize("source", ["api_key", "env", "url"])
def test_dspex_run_on_both_backends_and_dspex_demo_hide_the_secret(source, tmp_path):
    """``dspex run`` on each backend and, with the environment's key (the case the issue
    reported), ``dspex demo``, which runs both; all at once. Headers can be given to the commands
    only through the configuration, whose LM is the one the Python API tests probe (and would
    make each command import LiteLLM, ten seconds apiece)."""
    program = tmp_path / "program.json"
    dspex.Predict.create("question -> answer", implementation="native").save(program)
    with SecretEchoServer(status=401) as server:
        args, env = _cli_env(source, server)
        commands = {f"run {backend}": ["run", str(program), "--implementation", backend, "--input", "question=hi",
                                       *args] for backend in BACKENDS}
        if source == "env":  # the demo runs both backends on the same LM: once is enough for the suite's time
            commands["demo"] = ["demo", *args]
        started = {name: subprocess.Popen([sys.executable, "-m", "dspex_core", *command], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for name, command in commands.items()}
        outputs = {name: (process.communicate(timeout=120), process.returncode) for name, process in started.items()}
    for name, ((out, err), code) in outputs.items():
        assert code != 0 or name == "demo", (name, err)
        assert_hidden({f"{name} stdout": out, f"{name} stderr": err}, secrets_of(source))
        if not (source == "url" and name == "run dspy"):  # see test_an_echoed_secret_reaches_no_output
            assert _echoed(out + err), (name, out, err)
