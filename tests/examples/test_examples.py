"""The examples gallery: every ``examples/*.py`` runs, says what it shows, and is listed.

Each example runs as a user runs it (``python examples/<name>.py``, a subprocess, no LM
configured, so on the offline LM) and must exit 0 and print the lines that carry its point,
given here per example as regular expressions; a new example without an entry fails until
it gets one. Two examples also run with ``--lm`` against the local OpenAI-compatible test
server, once on each backend's HTTP client, so the real-model path is exercised without a
network. Needs every distribution installed, dspy included (tox env ``examples``).
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.py") if not path.name.startswith("_"))

#: Per example, the lines (regular expressions, matched against whole lines) that show its point.
EXPECTED: dict[str, list[str]] = {
    "question_answering": [r"Predict \(native\): answer = Offline answer about invented, world.*",
                           r"ChainOfThought \(native\): reasoning = Step by step: .+",
                           r"ChainOfThought \(native\): answer = .+"],
    "rag": [r"retrieved 1 \(native\): The Eiffel Tower in Paris was completed in 1889 .*",
            r"retrieved 2 \(native\): .+", r"answer \(native\): .*eiffel.*"],
    "multi_hop": [r"hop 1: query = In which country was the creator of Python born\? -> 2 new passage\(s\), "
                  r"first: Guido .*",
                  r"hop 2: query = .+ -> [0-9]+ new passage\(s\), first: .+",
                  r"answer from [3-4] passages: .+"],
    "classification": [r"labels: positive, negative, neutral \(served by native\)",
                       r"(positive|negative|neutral) \(0\.\d\d\): The battery lasts .*",
                       r"(positive|negative|neutral) \(\d\.\d\d\): It arrived on Tuesday .*"],
    "extraction": [r"typed fields \(native\): people = \[('[^']*'(, )?)+\] \(list\)",
                   r"typed fields \(native\): attributes = \{.*\} \(dict\), year_count = \d+",
                   r"pydantic model \(native\): Person\(name=.*age=\d+.*\)"],
    "react_agent": [r"tools: search_corpus, multiply \(agent served by native\)",
                    r"step 0: (search_corpus|multiply)\(.*\) -> .+",
                    r"answer: .+"],
    "refine": [r"attempts: 3, rewards: \[0\.5, 0\.5, 0\.5\] \(threshold 1\.0, Refine served by native\)",
               r"answer: .*haarlem.*"],
    "saved_dspy_program": [r"saved by dspy 3\.4\.\d+: qa_dspy_program\.json",
                           r"loaded as chain_of_thought on native: 2 demos, instructions: Answer with the capital .*",
                           r"answer \(native\): .*france.*"],
    "optimize_bootstrap": [r"baseline on 4 dev questions: \d+\.\d+%",
                           r"compiled on native: 2 demos \(\d bootstrapped\), the original keeps 0",
                           r"saved trivia_bootstrap\.json \(\d+ bytes\), loaded as chain_of_thought on native",
                           r"served program on the devset: \d+\.\d+%"],
    "optimize_mipro": [r"MIPROv2 on native: \d demos, instructions: .+",
                       r"saved trivia_mipro\.json, loaded as chain_of_thought on native",
                       r"served program on the valset: \d+\.\d+%"],
    "evaluation": [r"score: 41\.67% on 12 examples \(Evaluate on native, program on native, 4 threads\)",
                   r"  fail: Who invented the World Wide Web.*", r"  pass: Was Tim Berners-Lee born .*"],
    "mixed_pipeline": [r"step summary: asked dspy, built on dspy, reads \['keywords'\], "
                       r"produces \['reasoning', 'summary'\]",
                       r"served by: keywords=native \(.*\), summary=dspy \(.*\), title=native \(.*\), "
                       r"render=native \(.*\)",
                       r"keywords: \['programs', .*\]",
                       r"rejected at build time: pipeline step '1:template' .*'missing'.*"],
    "fallback": [r"ChainOfThought\('question, turns: list\[ToolCalls\] -> answer'\) served by dspy: .+",
                 r"fallback event: create chain_of_thought native -> dspy: CapabilityError: .+",
                 r"with allow_fallback=False: CapabilityError: .+"],
    "plugin_backend": [r"backends serving predict: \['arith', 'native', 'dspy', 'example'\]",
                       r"'expression -> value: float' on arith: \(2 \+ 3\) \* 4 = 20\.0",
                       r"'question -> answer' on native \(arith declined\): .+",
                       r"packaged plugin 'example' \(metrics\): f1 = 1\.0"],
    "sessions": [r"inside (session-\S+): dspy module 'dspy-predict-\d+' \(session_id \1\), "
                 r"native module \(session_id \1\)",
                 r"after the block: ended=True, end events for \['session-\S+'\], current session: None",
                 r"dspy module after the session: SessionError: .+",
                 r"native module after the session: .+"],
    "optimize_gepa": [r"GEPA on dspy: instructions: .+",
                      r"saved trivia_gepa\.json, loaded as chain_of_thought on native",
                      r"served program on the valset: \d+\.\d+%"],
    "rlm_long_context": [r"RLM on dspy: [1-3] step\(s\) in the sandbox over a context of \d{5,} characters",
                         r"  step 0: code .+ -> .+",
                         r"answer: .+"],
    "parallel_batch": [r"6 of 7 done in \d+ ms on native, 4 threads",
                       r"  Paris: .*paris.*",
                       r"  failed \{'town': 'Lyon'\}: InputError: .+"],
}

OFFLINE_BANNER = "LM: dspex/offline (placeholder answers, no network; pass --lm PROVIDER/MODEL for a real one)"


def _env(**extra: str) -> dict[str, str]:
    """The caller's environment without dspex settings, so every example runs on the defaults."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DSPEX_")}
    env.update(extra)
    return env


def _run(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], cwd=ROOT, env=_env(**env),
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def _check_lines(name: str, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{name} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    for pattern in EXPECTED[name]:
        assert any(re.fullmatch(pattern, line) for line in lines), (
            f"{name} printed no line matching {pattern!r}:\n{result.stdout}")


def test_there_are_at_least_fifteen_examples() -> None:
    assert len(NAMES) >= 15, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_on_the_offline_lm(name: str) -> None:
    assert name in EXPECTED, f"examples/{name}.py: add the lines it must print to EXPECTED"
    result = _run(name)
    assert result.stdout.splitlines()[:1] == [OFFLINE_BANNER], result.stdout
    _check_lines(name, result)


@pytest.mark.parametrize("name", NAMES)
def test_example_has_a_docstring_saying_what_it_shows(name: str) -> None:
    doc = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text(encoding="utf-8")))
    assert doc and "Shows" in doc and f"python examples/{name}.py" in doc, f"examples/{name}.py: {doc!r}"


def test_every_example_is_in_the_gallery_index() -> None:
    index = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^- \[`(\w+)\.py`\]\(\1\.py\): \S", index, flags=re.MULTILINE)
    assert sorted(listed) == NAMES, f"examples/README.md lists {sorted(listed)}, the folder has {NAMES}"


def test_expected_names_only_existing_examples() -> None:
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", ["question_answering", "mixed_pipeline"])
def test_example_runs_on_a_real_lm_over_http(name: str) -> None:
    """``--lm``/``--api-base`` reach an OpenAI-compatible server: question_answering through the
    native HTTP client, mixed_pipeline through it and through dspy's (LiteLLM)."""
    import dspex_core as dspex
    from dspex_core.testing.server import LocalLMServer

    with LocalLMServer(dspex.OfflineLM()) as server:
        url = server.url
        result = _run(name, "--lm", "openai/local-test", "--api-base", url, OPENAI_API_KEY="placeholder")
        requests = len(server.requests)
    assert result.stdout.splitlines()[:1] == [f"LM: openai/local-test at {url}"], result.stdout
    _check_lines(name, result)
    assert requests >= 2, f"{name} sent {requests} request(s) to the server"
