"""``dspex run`` and ``dspex render``: the loading mistakes they report before any backend is asked
(one line on stderr, exit 2), with dspex-core and the example plugin installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_programs import METADATA, predictor_state, saved_predict

DSPEX = str(Path(sys.executable).parent / "dspex")


def dspex(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    return subprocess.run([DSPEX, *args], capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def multi(tmp_path: Path) -> Path:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps({"draft.predict": predictor_state(["question"], ["answer"], reasoning=True),
                                "check": predictor_state(["question", "answer"], ["verdict"]), "metadata": METADATA}))
    return path


@pytest.mark.parametrize("command", ["run", "render"])
def test_several_predictors_need_predictor_naming_them(multi, command):
    out = dspex(command, str(multi), "--input", "question=q")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (f"dspex {command}: error: InputError: {multi} holds several predictors (draft.predict, "
                          f"check); pick one with --predictor NAME\n")


@pytest.mark.parametrize("command", ["run", "render"])
def test_an_unknown_predictor_lists_the_names(multi, command):
    out = dspex(command, str(multi), "--predictor", "draft", "--input", "question=q")
    assert out.returncode == 2
    assert out.stderr == (f"dspex {command}: error: UnknownPredictorError: {multi} has no predictor 'draft' (did "
                          f"you mean 'draft.predict'?); its predictors are: draft.predict, check\n")


@pytest.mark.parametrize("command", ["run", "render"])
def test_a_save_program_directory_and_renamed_fields_say_what_to_do(tmp_path, command):
    folder = tmp_path / "prog"
    folder.mkdir()
    (folder / "program.pkl").write_bytes(b"\x80\x04.")
    out = dspex(command, str(folder), "--input", "question=q")
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "save_program=True" in out.stderr and "program.save('prog.json')" in out.stderr
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(saved_predict(["question"], ["answer"])))
    out = dspex(command, str(path), "--signature", "query -> answer", "--input", "query=q")
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "names the fields query, answer, but" in out.stderr and "e.g. 'question -> answer'" in out.stderr


def test_adapter_takes_the_adapters_dspex_serves(multi):
    out = dspex("render", str(multi), "--predictor", "check", "--adapter", "two_step")
    assert out.returncode == 2 and "invalid choice: 'two_step'" in out.stderr


def test_one_predictor_under_a_name_of_its_own_is_named(tmp_path):
    path = tmp_path / "custom.json"
    path.write_text(json.dumps({"generate": predictor_state(["question"], ["answer"]), "metadata": METADATA}))
    out = dspex("render", str(path), "--input", "question=q")
    assert out.returncode == 2
    assert out.stderr == (f"dspex render: error: InputError: {path} holds one predictor, named 'generate' (a "
                          f"dspy.Module of its own); pass --predictor generate\n")
