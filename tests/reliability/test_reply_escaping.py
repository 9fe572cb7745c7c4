"""An LM reply quoted in an error cannot rewrite the terminal it is printed on, on both backends.

The replies hold what a terminal obeys: ANSI escapes (clear the screen, colours), a carriage
return and backspaces that write over the line, the one-byte CSI, a right-to-left override and
a Unicode line separator. Each reaches the user through an ``AdapterParseError`` (its message
quotes the reply, and native's names the field's text too), ``dspex run``'s one-line error and
``dspex demo``'s lines; all must show them escaped (docs/errors.md), while ``error.raw`` keeps
the reply exactly as sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer

BACKENDS = ("native", "dspy")
DSPEX = str(Path(sys.executable).parent / "dspex")
#: What must never reach an error message raw (newline and tab may).
UNSAFE = ("\x1b", "\r", "\b", "\x9b", "\u202e", "\u2028", "\x00")
EVIL = "\x1b[2J\x1b[Hall clear\rOVERWRITTEN\b\b\x9b31m\u202egnp.exe\u2028\x00"
#: A reply with no output field: unparseable in chat and in JSON.
UNPARSEABLE = f"I will not follow the format. {EVIL}\nsecond line"
#: A reply whose ``answer`` section is there but is no integer (native quotes the field's text).
NOT_AN_INT = f"[[ ## answer ## ]]\nforty-two {EVIL}\n\n[[ ## completed ## ]]"


def assert_safe(text: str) -> None:
    found = [repr(c) for c in UNSAFE if c in text]
    assert not found, f"raw {', '.join(found)} in: {text!r}"


@pytest.mark.parametrize("reply", [UNPARSEABLE, NOT_AN_INT], ids=["unparseable", "bad-field"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parse_error_quotes_the_reply_escaped_and_keeps_it_raw(backend, reply):
    program = dspex.Predict.create("question -> answer: int", implementation=backend, lm=RecordingLM(reply))
    with pytest.raises(dspex.AdapterParseError) as info:
        program(question="q")
    error = info.value
    assert_safe(str(error))
    assert_safe(repr(error.args))
    assert "\\x1b[2J" in str(error) and "\\u202e" in str(error)  # shown, not dropped
    assert error.raw == reply  # the exact reply is kept (both calls get the same one)


@pytest.fixture(scope="module")
def saved_program(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("program") / "qa.json"
    dspex.Predict.create("question -> answer: int", implementation="native").save(str(path))
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_") and k != "OPENAI_API_KEY"}
    env.update({"DSPY_CACHEDIR": str(tmp_path / "dspy-cache"), "DSPEX_DISABLE_PLUGINS": "example"})
    return env


@pytest.mark.parametrize("backend", BACKENDS)
def test_dspex_run_prints_the_parse_error_escaped_on_one_line(saved_program, backend, tmp_path):
    with LocalLMServer(UNPARSEABLE) as server:
        out = subprocess.run([DSPEX, "run", str(saved_program), "--implementation", backend, "--input", "question=q",
                              "--lm", "openai/evil", "--api-base", server.url, "--api-key", "sk-test"],
                             capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=180)
    assert out.returncode == 1, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("dspex run: error:")]
    assert len(lines) == 1 and "AdapterParseError" in lines[0], out.stderr
    assert_safe(out.stderr)
    assert_safe(out.stdout)
    assert "\\x1b[2J" in lines[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dspex_run_prints_a_servers_error_text_escaped(saved_program, backend, tmp_path):
    """Not only parse errors: whatever error text the CLI prints (here a server's error message,
    which the LMError quotes) is escaped on its one line."""
    with LocalLMServer(UNPARSEABLE) as server:
        server.inject(status=400, times=10, message=f"bad request {EVIL}")
        out = subprocess.run([DSPEX, "run", str(saved_program), "--implementation", backend, "--input", "question=q",
                              "--lm", "openai/evil", "--api-base", server.url, "--api-key", "sk-test"],
                             capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=180)
    lines = [line for line in out.stderr.splitlines() if line.startswith("dspex run: error:")]
    assert out.returncode == 1 and len(lines) == 1 and "LMError" in lines[0], out.stderr
    assert "bad request" in lines[0] and "\\x1b[2J" in lines[0], lines[0]
    assert_safe(out.stderr)


def test_dspex_demo_shows_replies_and_failures_escaped(tmp_path):
    """The demo prints an LM's answers (its Predict table) and its failures (the pipeline's typed
    step cannot parse the reply): neither may carry a terminal code."""
    reply = f"[[ ## answer ## ]]\n{EVIL}\n\n[[ ## completed ## ]]"
    with LocalLMServer(reply) as server:
        out = subprocess.run([DSPEX, "demo", "--lm", "openai/evil", "--api-base", server.url, "--api-key", "sk-test"],
                             capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=180)
    assert "failed: AdapterParseError" in out.stdout and "\\x1b[2J" in out.stdout, out.stdout + out.stderr
    assert_safe(out.stdout)
    assert_safe(out.stderr)
