"""``dspex run``'s failures: one clear line on stderr, exit 2 for bad input and 1 otherwise,
never a traceback and never the API key; and the offline LM when no LM is given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import dspy
import pytest

from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore")

DSPEX = str(Path(sys.executable).parent / "dspex")
SECRET = "sk-very-secret-0123456789"


def dspex_run(tmp_path, *args, stdin="", env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_") and k != "OPENAI_API_KEY"}
    env.update({"DSPY_CACHEDIR": str(tmp_path / "dspy-cache"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    env.update(env_extra or {})
    return subprocess.run([DSPEX, "run", *args], input=stdin, capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=180)


def one_error_line(out, code, *needles):
    assert out.returncode == code, (out.returncode, out.stderr)
    assert out.stdout == ""
    errors = [line for line in out.stderr.splitlines() if line.startswith("dspex run: error:")]
    assert len(errors) == 1 and "Traceback" not in out.stderr, out.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def predict_file(tmp_path):
    path = tmp_path / "predict.json"
    dspy.Predict("question -> answer").save(str(path))
    return path


def test_missing_file(tmp_path):
    one_error_line(dspex_run(tmp_path, str(tmp_path / "nope.json"), "--input", "q=x"), 2, "InputError", "no such file")


def test_not_json(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("this is not json")
    one_error_line(dspex_run(tmp_path, str(path), "--input", "q=x"), 2, "not valid JSON")


def test_multi_predictor_program(tmp_path):
    class Pipeline(dspy.Module):
        def __init__(self):
            super().__init__()
            self.draft = dspy.Predict("question -> draft")
            self.polish = dspy.ChainOfThought("draft -> answer")

    path = tmp_path / "pipeline.json"
    Pipeline().save(str(path))
    one_error_line(dspex_run(tmp_path, str(path), "--input", "question=x"), 2, "InputError",
                   "several predictors (draft, polish.predict)", "--predictor NAME")
    out = dspex_run(tmp_path, str(path), "--predictor", "polish.predict", "--input", "draft=x")
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout)) == {"reasoning", "answer"}


def test_undecidable_signature_then_given(tmp_path):
    program = dspy.Predict(dspy.Signature("question -> answer", "Answer briefly."))
    path = tmp_path / "custom.json"
    program.save(str(path))
    one_error_line(dspex_run(tmp_path, str(path), "--input", "question=x"), 2, "--signature",
                   "inputs from the outputs")
    out = dspex_run(tmp_path, str(path), "--input", "question=x", "--signature", "question -> answer")
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout)) == {"answer"}
    assert "offline LM" in out.stderr  # no LM given or configured: the offline one, and it says so


def test_mismatched_signature(tmp_path, predict_file):
    line = one_error_line(dspex_run(tmp_path, str(predict_file), "--input", "a=x", "--signature", "a, b -> c, d"),
                          2, "'a, b -> c, d'", "4 field(s)", "saved 2")
    assert "Question:, Answer:" in line


def test_bad_inputs(tmp_path, predict_file):
    one_error_line(dspex_run(tmp_path, str(predict_file), "--input", "novalue"), 2, "name=value")
    one_error_line(dspex_run(tmp_path, str(predict_file)), 2, "no inputs given", "question")
    one_error_line(dspex_run(tmp_path, str(predict_file), stdin="[1, 2]"), 2, "JSON object")
    one_error_line(dspex_run(tmp_path, str(predict_file), stdin="{oops"), 2, "not valid JSON")
    one_error_line(dspex_run(tmp_path, str(predict_file), "--input", "n:=nope"), 2, "JSON value")


@pytest.mark.parametrize("implementation", ["native", "dspy"])
def test_lm_failure_exits_1_without_the_key(tmp_path, predict_file, implementation):
    with LocalLMServer("unused") as server:
        server.inject(status=401, times=10, message=f"bad key {SECRET}")
        out = dspex_run(tmp_path, str(predict_file), "--implementation", implementation, "--lm", "openai/test",
                        "--api-base", server.url, "--api-key", SECRET, "--input", "question=hi")
    one_error_line(out, 1)
    assert SECRET not in out.stderr and SECRET not in out.stdout


def test_unknown_backend_and_json_input_values(tmp_path, predict_file):
    one_error_line(dspex_run(tmp_path, str(predict_file), "--implementation", "nonesuch", "--input", "question=x"),
                   2, "nonesuch")
    out = dspex_run(tmp_path, str(predict_file), "--implementation", "native", "--input", 'question:=["a", "b"]')
    assert out.returncode == 0, out.stderr
    assert "answer" in json.loads(out.stdout)


def test_configured_lm_from_pyproject_is_used(tmp_path, predict_file):
    reply = "[[ ## answer ## ]]\nconfigured\n\n[[ ## completed ## ]]"
    with LocalLMServer(reply) as server:
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.dspex]\nlm = {{ model = "openai/test", api_base = "{server.url}", api_key = "{SECRET}" }}\n')
        out = dspex_run(tmp_path, str(predict_file), "--input", "question=hi")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == {"answer": "configured"}
        assert "offline" not in out.stderr and SECRET not in out.stderr
        assert len(server.chat_requests) == 1
