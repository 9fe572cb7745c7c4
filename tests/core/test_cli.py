"""The ``dspex`` command, run as a subprocess against the installed distributions
(dspex-core and the example plugin are installed in every env that runs tests/core)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dspex_core

DSPEX = str(Path(sys.executable).parent / "dspex")


def run(*args, disable="", exe=(DSPEX,)):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    if disable:
        env["DSPEX_DISABLE_PLUGINS"] = disable
    return subprocess.run([*exe, *args], capture_output=True, text=True, env=env, timeout=120)


def test_version():
    for exe in ((DSPEX,), (sys.executable, "-m", "dspex_core")):
        out = run("--version", exe=exe)
        assert out.returncode == 0 and out.stdout.strip() == f"dspex {dspex_core.__version__}"


def test_no_command_prints_usage_and_exits_2_as_argparse_does():
    out = run()
    assert out.returncode == 2 and out.stdout == ""
    usage, error = out.stderr.splitlines()
    assert usage.startswith("usage: dspex ")
    assert error.startswith("dspex: error: a command is required, one of: backends, plugins")
    assert run("--help").returncode == 0


def test_backends_table_shows_example():
    out = run("backends")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["backend", "distribution", "version", "native", "module", "types", "error"]
    assert set(lines[1]) <= {"-", " "}
    (row,) = [line for line in lines[2:] if line.startswith("example ")]
    assert row.split() == ["example", "dspex-example", "0.1.0", "yes", "metrics,", "predict"]
    assert out.stderr == ""
    # the example's metrics not built yet are listed under the table, one per line
    section = out.stdout.split("\nnot built yet (asking for one raises CapabilityError", 1)[1]
    assert "  example: metrics\n    - the answer_exact_match metric\n    - the answer_passage_match metric\n" \
           "    - the passage_match metric" in section


def test_backends_json():
    out = run("backends", "--json")
    assert out.returncode == 0, out.stderr
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert rows["example"] == {"name": "example", "plugin": "example", "distribution": "dspex-example",
                               "version": "0.1.0", "native": True, "module_types": ["metrics", "predict"],
                               "not_implemented": {"metrics": ["the answer_exact_match metric",
                                                               "the answer_passage_match metric",
                                                               "the passage_match metric"],
                                                   "predict": ["adapter='xml' (DSPy's XMLAdapter)",
                                                               "predict without dspex-native installed"]},
                               "error": None}


def test_disable_plugins_hides_example():
    out = run("backends", "--json", disable="example")
    assert out.returncode == 0
    assert "example" not in {row["name"] for row in json.loads(out.stdout)}
    out = run("backends", disable="example, native,dspy")
    assert "example" not in out.stdout
    assert "no dspex backends installed" in out.stdout
    out = run("plugins", disable="example,native,dspy")
    assert out.returncode == 0 and "no dspex plugins installed" in out.stdout
    assert json.loads(run("plugins", "--json", disable="example,native,dspy").stdout) == []


def test_plugins():
    out = run("plugins")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split() == ["plugin", "distribution", "version", "hooks", "error"]
    (row,) = [line for line in out.stdout.splitlines() if line.startswith("example ")]
    assert row.split() == ["example", "dspex-example", "0.1.0", "dspex_register_implementations"]
    rows = {p["name"]: p for p in json.loads(run("plugins", "--json").stdout)}
    assert rows["example"]["module"] == "dspex_example.plugin"
    assert rows["example"]["hooks"] == ["dspex_register_implementations"] and rows["example"]["error"] is None


def test_unknown_command_fails_cleanly():
    out = run("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_example_backend_in_process():
    os.environ.pop("DSPEX_DISABLE_PLUGINS", None)
    from dspex_core import registry

    registry.refresh()
    ref = dspex_core.Metrics.create("f1")
    assert ref.backend in {"example", "native"}
    ref = dspex_core.Metrics.create("f1", implementation="example")
    assert ref(prediction="the cat sat", reference="a cat sat").score == 1.0


def test_the_example_predict_says_what_it_needs_where_dspex_native_is_missing():
    """The example's predict builds on dspex-native's DSPy format: without it (tests/core's own env)
    the plugin still loads and serves metrics, and predict is a CapabilityError naming the install;
    with it (the 'all' env) it answers from the LM it is given."""
    import importlib.util

    from dspex_core import registry
    from dspex_core.testing import RecordingLM

    os.environ.pop("DSPEX_DISABLE_PLUGINS", None)
    registry.refresh()
    lm = RecordingLM(["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"])
    if importlib.util.find_spec("dspex_native") is None:
        with pytest.raises(dspex_core.CapabilityError, match="pip install dspex-native"):
            dspex_core.Predict.create("question -> answer", implementation="example", lm=lm)
    else:
        ref = dspex_core.Predict.create("question -> answer", implementation="example", lm=lm)
        assert ref(question="Capital of France?").answer == "Paris"
        assert lm.calls[0].messages[-1]["content"].startswith("[[ ## question ## ]]\nCapital of France?")


def test_python_m_dspex_core_is_the_same_command():
    via_module = run("backends", "--json", exe=(sys.executable, "-m", "dspex_core"))
    via_script = run("backends", "--json")
    assert via_module.returncode == via_script.returncode == 0
    assert json.loads(via_module.stdout) == json.loads(via_script.stdout)


def test_the_lm_description_shows_no_credentials(monkeypatch):
    import argparse

    from dspex_core.cli._lm_choice import choose_lm

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = argparse.Namespace(lm="openai/m", api_base="http://user:pw-secret@127.0.0.1:9/v1", api_key="sk-cli-secret")
    lm, text = choose_lm(args)
    assert text == "openai/m at http://127.0.0.1:9/v1, key from --api-key"
    assert lm.secret("api_key") == "sk-cli-secret" and "pw-secret" not in repr(lm)


def test_lm_dspex_offline_forces_the_offline_lm_whatever_is_configured(monkeypatch):
    import argparse

    from dspex_core.cli._lm_choice import choose_lm

    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret-0001")
    with dspex_core.context(lm=dspex_core.LM("openai/gpt-4o-mini")):
        lm, text = choose_lm(argparse.Namespace(lm="dspex/offline", api_base=None, api_key=None))
    assert isinstance(lm, dspex_core.OfflineLM) and text.startswith("dspex/offline: the embedded offline LM")
    with pytest.raises(dspex_core.InputError, match="takes neither --api-base nor --api-key"):
        choose_lm(argparse.Namespace(lm="dspex/offline", api_base="http://127.0.0.1:9/v1", api_key=None))


def test_demo_on_the_offline_lm_with_a_key_in_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    for extra, args in (({"OPENAI_API_KEY": "sk-env-secret-0001"}, ["--lm", "dspex/offline"]),
                        ({"OPENAI_API_KEY": "sk-env-secret-0001", "DSPEX_LM": "dspex/offline"}, [])):
        done = subprocess.run([DSPEX, "demo", *args], capture_output=True, text=True, env={**env, **extra},
                              timeout=120)
        # (only the example backend is installed here: the sections fail for want of a backend, not of an LM)
        assert done.stdout.startswith("dspex demo: LM dspex/offline: the embedded offline LM"), done.stdout
        assert "openai" not in done.stdout.lower() and "sk-env" not in done.stdout + done.stderr
