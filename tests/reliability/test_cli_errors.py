"""Every ``dspex`` command reports an error the same way: one line on stderr, no traceback, an
exit code by error class (2 for the user's mistakes, ``InputError`` and its ``ConfigError``;
1 for other failures; see ``dspex_core/cli/_errors.py``).

The matrix runs every sub-command against every bad ``DSPEX_*`` value and bad ``[tool.dspex]``
entry (including ``[tool] dspex = "x"``, which raised ``AttributeError``); the commands run as
subprocesses of the installed ``dspex`` script, all at once on a thread pool. Then: usage
mistakes that are not configuration, and an internal bug (one line with a hint; the traceback
only with ``DSPEX_DEBUG=1``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from throwaway_plugins import subprocess_env, write_plugin

DSPEX = str(Path(sys.executable).parent / "dspex")

#: Every sub-command, with the arguments it needs to get past argparse.
COMMANDS = {
    "backends": ["backends"],
    "plugins": ["plugins"],
    "module-types": ["module-types"],
    "demo": ["demo"],
    "run": ["run", "program.json", "--input", "question=hi"],
    "parity": ["parity", "native", "--module-type", "predict", "--examples", "1"],
}

BAD_ENVIRONMENT = {
    "prefer_native": {"DSPEX_PREFER_NATIVE": "maybe"},
    "allow_fallback": {"DSPEX_ALLOW_FALLBACK": "perhaps"},
    "implementation_cache": {"DSPEX_IMPLEMENTATION_CACHE": "2"},
    "telemetry_enabled": {"DSPEX_TELEMETRY_ENABLED": "nah"},
    "overrides_without_backend": {"DSPEX_IMPLEMENTATION_OVERRIDES": "predict"},
    "overrides_bad_json": {"DSPEX_IMPLEMENTATION_OVERRIDES": '{"predict":'},
    "overrides_not_strings": {"DSPEX_IMPLEMENTATION_OVERRIDES": '{"predict": 1}'},
    "lm_bad_json": {"DSPEX_LM": '{"model":'},
    "lm_without_model": {"DSPEX_LM": '{"temperature": 0}'},
    "lm_model_not_a_string": {"DSPEX_LM": '{"model": 5}'},
    "lm_empty": {"DSPEX_LM": ""},
}

BAD_PYPROJECT = {
    "toml_syntax": "[tool.dspex\nprefer_native = true\n",
    "tool_dspex_is_a_string": '[tool]\ndspex = "x"\n',
    "tool_dspex_is_an_array": "[[tool.dspex]]\nprefer_native = true\n",
    "unknown_key": '[tool.dspex]\ncolour = "blue"\n',
    "prefer_native": '[tool.dspex]\nprefer_native = "maybe"\n',
    "telemetry_enabled": '[tool.dspex]\ntelemetry_enabled = "often"\n',
    "overrides_not_a_table": "[tool.dspex]\nimplementation_overrides = 5\n",
    "overrides_not_strings": "[tool.dspex]\nimplementation_overrides = {predict = 1}\n",
    "lm_not_a_model": "[tool.dspex]\nlm = 5\n",
    "lm_without_model": "[tool.dspex]\nlm = {temperature = 0}\n",
    "executor_not_a_name": "[tool.dspex]\nexecutor = 5\n",
}

CASES = [(command, "env", name) for command in COMMANDS for name in BAD_ENVIRONMENT] + \
        [(command, "pyproject", name) for command in COMMANDS for name in BAD_PYPROJECT]


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([DSPEX, *args], capture_output=True, text=True, cwd=cwd, env=subprocess_env(cwd, **env),
                          timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    """Every (command, source, case) of the matrix, run at once: the commands fail before they
    do anything, so each takes a fraction of a second, but there are many."""
    jobs = {}
    for command, source, name in CASES:
        folder = tmp_path_factory.mktemp(f"{command}-{source}-{name}")
        (folder / "program.json").write_text(json.dumps({"demos": [], "signature": {
            "instructions": "Answer.", "fields": [{"prefix": "Question:", "description": "${question}"},
                                                  {"prefix": "Answer:", "description": "${answer}"}]}}))
        env = BAD_ENVIRONMENT[name] if source == "env" else {}
        if source == "pyproject":
            (folder / "pyproject.toml").write_text(BAD_PYPROJECT[name])
        jobs[(command, source, name)] = (COMMANDS[command], folder, env)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {key: pool.submit(_run, args, folder, **env) for key, (args, folder, env) in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("command,source,name", CASES, ids=[f"{c}-{s}-{n}" for c, s, n in CASES])
def test_a_configuration_mistake_is_one_line_and_exit_code_2(outcomes, command, source, name):
    out = outcomes[(command, source, name)]
    assert "Traceback" not in out.stderr + out.stdout, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"dspex {command}: error: ConfigError: "), lines[0]
    assert "internal error" not in lines[0]
    assert (out.returncode, out.stdout) == (2, "")
    if source == "pyproject":
        assert "pyproject.toml" in lines[0]
    else:
        assert "(environment)" in lines[0] or "LM needs a model" in lines[0]


def test_a_non_table_tool_key_is_not_dspex_configuration(tmp_path):
    """``tool = "x"`` at the top level holds no [tool.dspex]: nothing for dspex to complain about."""
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n')
    out = _run(["module-types", "--json"], tmp_path)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert {row["name"] for row in json.loads(out.stdout)} >= {"predict"}


@pytest.mark.parametrize("args,line", [
    (["run", "missing.json"], "dspex run: error: InputError: cannot load 'missing.json': no such file"),
    (["run", "program.json", "--input", "novalue"], "dspex run: error: InputError: --input 'novalue' should be "
                                                     "name=value (or name:=JSON)"),
    (["parity", "nope"], "dspex parity: error: BackendNotInstalledError: backend 'nope' is not installed; installed: "),
    (["parity", "native", "--module-type", "code_act"], "dspex parity: error: InputError: the kit has no properties "
                                                         "for code_act"),
    (["parity", "native", "--examples", "0"], "dspex parity: error: InputError: --examples must be at least 1"),
])
def test_usage_mistakes_are_one_line_and_exit_code_2(tmp_path, args, line):
    (tmp_path / "program.json").write_text(json.dumps({"demos": [], "signature": {
        "instructions": "Answer.", "fields": [{"prefix": "Question:", "description": "${question}"},
                                              {"prefix": "Answer:", "description": "${answer}"}]}}))
    out = _run(args, tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    (only,) = out.stderr.splitlines()
    assert only.startswith(line), only


BUGGY = """
from dspex_core.backend import Implementation, hookimpl


class Buggy(Implementation):
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return {}["a key the backend forgot"]


@hookimpl
def dspex_register_implementations(register):
    register("predict", Buggy(), backend="buggy")
"""


def test_an_internal_bug_is_one_line_with_a_hint_and_debug_shows_the_traceback(tmp_path):
    write_plugin(tmp_path, "buggy", BUGGY)
    out = _run(["demo"], tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    (only,) = out.stderr.splitlines()
    assert only == ("dspex demo: error: KeyError: 'a key the backend forgot' (an internal error, not a mistake "
                    "of yours; set DSPEX_DEBUG=1 to see the traceback)")
    debug = _run(["demo"], tmp_path, DSPEX_DEBUG="1")
    assert debug.returncode == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert 'in execute\n    return {}["a key the backend forgot"]' in debug.stderr
    assert debug.stderr.splitlines()[-1] == only


def test_an_api_key_given_on_the_command_line_never_reaches_the_error_line(tmp_path):
    secret = "rel-cli-key-0123456789"  # not sk- shaped: only the known secret masks it
    out = _run(["demo", "--api-key", secret], tmp_path, DSPEX_IMPLEMENTATION_OVERRIDES=secret)  # echoed by the error
    assert out.returncode == 2 and secret not in out.stderr + out.stdout
    assert out.stderr.startswith("dspex demo: error: ConfigError: implementation_overrides (environment): '<hidden>'")
