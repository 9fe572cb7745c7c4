"""The dspy backend keeps its users' test output readable: a plain pytest run of dspy-backed calls
shows no warning about how the backend talks to dspy (dspy 3.4's "custom LMs through
BaseLM.forward() are deprecated", once per call, used to flood a plugin's suite), while dspy's
warning for a user's own legacy LM still shows.

Each case is a pytest run in a subprocess, with no configuration file and pytest's default
warning handling, exactly as a plugin author's own suite runs.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SUITE = '''
import dspy
import pytest

import dspex_core as dspex
from dspex_core.testing import RecordingLM

REPLY = "[[ ## answer ## ]]\\nParis\\n\\n[[ ## completed ## ]]"


@pytest.mark.parametrize("n", range(5))
def test_predict(n):
    ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=RecordingLM([REPLY]))
    assert ref(question=f"capital {n}?").answer == "Paris"


@pytest.mark.parametrize("n", range(3))
def test_async_chain_of_thought(n):
    import asyncio

    reply = "[[ ## reasoning ## ]]\\nknown\\n\\n[[ ## answer ## ]]\\nParis\\n\\n[[ ## completed ## ]]"
    ref = dspex.ChainOfThought.create("question -> answer", implementation="dspy", lm=RecordingLM([reply]))
    assert asyncio.run(ref.acall(question="q")).answer == "Paris"
'''

USERS_OWN_LEGACY_LM = '''

class MyLegacyLM(dspy.BaseLM):
    def forward(self, prompt=None, messages=None, **kwargs):
        from dspex_dspy.lm import _response

        return _response(self.model, [REPLY])


def test_a_users_own_legacy_lm_still_warns():
    with dspy.context(lm=MyLegacyLM("mine/legacy"), adapter=dspy.ChatAdapter()):
        assert dspy.Predict("question -> answer")(question="q").answer == "Paris"
'''


def run_suite(tmp_path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_user_suite.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           "-c", str(tmp_path / "none.ini"), str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)


def test_a_plain_pytest_run_of_dspy_backed_calls_shows_no_warning(tmp_path):
    (tmp_path / "none.ini").write_text("[pytest]\n", encoding="utf-8")
    done = run_suite(tmp_path, SUITE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith("8 passed in ")
    assert "warning" not in done.stdout.lower(), done.stdout


def test_dspys_warning_for_a_users_own_legacy_lm_still_shows(tmp_path):
    (tmp_path / "none.ini").write_text("[pytest]\n", encoding="utf-8")
    done = run_suite(tmp_path, SUITE + USERS_OWN_LEGACY_LM)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.rstrip().splitlines()[-1]
    assert last.startswith("9 passed, 1 warning in "), done.stdout
    assert "Implementing custom LMs through BaseLM.forward() or aforward() is deprecated" in done.stdout
    assert "test_user_suite.py::test_a_users_own_legacy_lm_still_warns" in done.stdout
