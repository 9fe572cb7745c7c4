"""The conformance kit's own suite: it passes for a correct backend and fails, readably, for a wrong one.

``fixtures/wrong_backend`` is a real distribution, pip-installed here (and uninstalled after):
it registers ``toy`` (a small self-consistent LM module, the reference in these tests) and
``wrong`` (the same code with one deliberate bug chosen by ``DSPEX_WRONG_MODE``: ``prompt``
alters one byte of the system prompt, ``types`` returns int outputs as strings, ``retry``
skips the second LM call after an unparseable reply, ``n_rule`` compares with ``<`` in DSPy's
n>1 temperature rule, ``setting`` passes the LM one setting more, ``flaky`` adds a field to the
third prediction of the process only, ``flaky_error`` returns it as a prediction whose fields
cannot be read, ``none`` has no bug). The kit must
agree on ``none`` and find, and explain, each bug. ``wrong`` also registers ``code_act``, which
the kit has no property for: every report must name it as not covered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from dspex_core import registry
from dspex_core.backend import module_types
from dspex_core.testing.conformance import KIT_MODULE_TYPES, check, check_property
from dspex_core.testing.conformance._coverage import OPTIMIZER_MODULE_TYPES, RETRIEVER_MODULE_TYPES

FIXTURE = Path(__file__).parent / "fixtures" / "wrong_backend"
DSPEX = str(Path(sys.executable).parent / "dspex")
LM_TYPES = ["predict", "chain_of_thought"]
#: The module-type table's types the kit has no property for: BackendConformance has a test for each.
UNCOVERED = [t for t in module_types() if t not in KIT_MODULE_TYPES]


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def refresh() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry.refresh()


@pytest.fixture(scope="module")
def wrong_backend():
    pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(FIXTURE))
    refresh()
    assert {"toy", "wrong"} <= set(registry.installed_backends())
    yield
    pip("uninstall", "-y", "dspex-wrong-backend")
    refresh()


@pytest.fixture
def mode(monkeypatch, wrong_backend):
    def set_mode(value: str) -> None:
        monkeypatch.setenv("DSPEX_WRONG_MODE", value)
    return set_mode


def run_cli(*args: str, wrong_mode: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    env["DSPEX_WRONG_MODE"] = wrong_mode
    return subprocess.run([DSPEX, *args], capture_output=True, text=True, env=env, timeout=600)


# -- the kit passes for a correct backend ---------------------------------------------------
def test_a_correct_backend_agrees_on_every_property(mode):
    mode("none")
    reports = check("wrong", reference="toy", module_types=LM_TYPES, examples=150)
    assert [(r.module_type, r.prop) for r in reports] == [
        (t, p) for t in LM_TYPES for p in ("messages", "settings", "prediction", "failures")]
    for r in reports:
        assert r.status == "agreed", (r, r.difference, r.example)
        assert r.cases == r.agreed == 150


def test_module_types_the_backend_does_not_serve_are_reported_not_served(mode):
    mode("none")
    reports = check("wrong", reference="toy", module_types=["metrics", "template"], examples=5)
    assert [r.status for r in reports] == ["not served", "not served"]
    assert "'wrong' does not serve 'metrics'" in reports[0].note
    assert not any(r.passed for r in reports)


# -- and fails, with a readable first difference, for a wrong one -----------------------------
def test_one_byte_of_prompt_is_a_messages_difference(mode):
    mode("prompt")
    report = check_property("wrong", "predict", "messages", reference="toy", examples=100)
    assert report.status == "differs"
    assert report.cases >= 1 and report.agreed == report.cases - 1
    text = str(report.difference)
    assert text.startswith("messages: LM call 1, message 0 (system), 'content' differs first at character 0")
    assert "backend:   'inputs:" in text and "reference: 'Inputs:" in text
    # the whole differing text too, not 30 characters of it: a unified diff of the message
    assert "the whole 'content' of message 0, as a unified diff:\n    --- reference\n    +++ backend\n" in text
    assert re.search(r"\n    -Inputs: .*\n    \+inputs: .*\n     Outputs: ", text)
    assert report.example.startswith("LMCase('predict',") and "script=[" in report.example


def test_swapped_output_type_is_a_prediction_difference(mode):
    mode("types")
    report = check_property("wrong", "chain_of_thought", "prediction", reference="toy", examples=200)
    assert report.status == "differs"
    text = str(report.difference)
    assert text.startswith("prediction: field ")
    assert "(str)" in text and "(int)" in text
    # Hypothesis shrank the case: one int output, nothing else the bug does not need.
    assert ": int" in report.example


def test_a_missing_retry_is_a_failures_difference(mode):
    mode("retry")
    report = check_property("wrong", "predict", "failures", reference="toy", examples=100)
    assert report.status == "differs"
    assert str(report.difference).startswith("failures: the backend made 1 LM calls, the reference 2")
    assert "AdapterParseError" in str(report.difference)


def test_an_off_by_one_in_the_n_rule_is_a_settings_difference(mode):
    """The cases draw temperatures at 0.15 and the floats either side of it with n > 1: a rule
    comparing with ``<`` sends 0.15 where DSPy's sends 0.7."""
    mode("n_rule")
    report = check_property("wrong", "predict", "settings", reference="toy", examples=200)
    assert report.status == "differs", report
    assert str(report.difference).startswith("settings: LM call 1: request settings differ in temperature\n"
                                             "  temperature: backend 0.15 (float), reference 0.7 (float)")
    assert "'temperature': 0.15" in report.example and "'n': " in report.example


def test_a_setting_only_the_backend_passes_is_a_settings_difference(mode):
    """Every key the LM is given is compared, not a list of known settings: one more is a difference."""
    mode("setting")
    report = check_property("wrong", "chain_of_thought", "settings", reference="toy", examples=50)
    assert report.status == "differs" and report.cases == 1, report
    assert str(report.difference) == ("settings: LM call 1: request settings differ in stream\n"
                                      "  stream: backend False (bool), reference (absent)")


@pytest.fixture
def flaky(mode):
    """A mode whose bug shows once: the count of predictions starts again at 0."""
    from dspex_wrong_backend import toy

    def set_flaky(value: str) -> None:
        mode(value)
        toy._RETURNED[0] = 0
    return set_flaky


def test_an_error_that_does_not_happen_again_is_flaky_never_agreed(flaky):
    """A case that raised once and not when hypothesis ran it again has no recorded difference:
    it is a failure all the same, with the error and the case."""
    flaky("flaky_error")
    report = check_property("wrong", "predict", "prediction", reference="toy", examples=50)
    assert report.status == "flaky" and not report.passed, report
    assert report.note.startswith("flaky, first seen: the case raised RuntimeError: the fields of this prediction "
                                  "cannot be read (the case did not give the same result when run again: "), report.note
    assert report.example.startswith("LMCase('predict',") and report.cases == report.agreed + 1


def test_a_difference_that_does_not_happen_again_is_flaky(flaky):
    flaky("flaky")
    report = check_property("wrong", "predict", "prediction", reference="toy", examples=50)
    assert report.status == "flaky" and not report.passed, report
    assert str(report.difference).startswith("prediction: fields differ: backend [")
    assert report.note.startswith("flaky, first seen: prediction: fields differ: backend [")
    assert "'flaky']" in report.note and report.example.startswith("LMCase('predict',")


def test_dspex_parity_reports_a_flaky_property_as_a_failure(wrong_backend):
    import json

    done = run_cli("parity", "wrong", "--reference", "toy", "--examples", "20", "--module-type", "predict",
                   wrong_mode="flaky_error")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"\nmessages +\d+ +\d+ +flaky +flaky, first seen: the case raised RuntimeError", done.stdout)
    assert "--- predict / messages: FLAKY, not agreed (the case first seen) ---\n" in done.stdout
    assert done.stdout.rstrip().endswith("result: DIFFERENCES FOUND (flaky, not agreed: predict/messages)")
    data = json.loads(run_cli("parity", "wrong", "--reference", "toy", "--examples", "20", "--module-type", "predict",
                              "--json", wrong_mode="flaky_error").stdout)
    assert data["ok"] is False
    first = data["results"][0]
    assert (first["property"], first["status"]) == ("messages", "flaky")
    assert first["note"].startswith("flaky, first seen: the case raised RuntimeError") and first["example"]


def test_the_wrong_backend_still_agrees_where_its_bug_does_not_show(mode):
    mode("types")
    assert check_property("wrong", "predict", "messages", reference="toy", examples=60).status == "agreed"


# -- the command line ------------------------------------------------------------------------
def test_dspex_parity_prints_a_table_per_module_type_and_fails(wrong_backend):
    done = run_cli("parity", "wrong", "--reference", "toy", "--examples", "40", "--seed", "3",
                   wrong_mode="prompt")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"predict\nproperty +cases +agreed +result +first difference\n", out)
    assert "chain_of_thought\n" in out
    assert re.search(r"\nmessages +1 +0 +differs +LM call 1, message 0 \(system\)", out)
    assert "metrics: not served ('wrong' does not serve 'metrics')" in out
    assert "evaluate: not served ('wrong' does not serve 'evaluate')" in out
    assert "--- predict / messages: first difference (minimal case) ---" in out
    assert "NOT COVERED by the kit, nothing was checked: code_act\n" in out
    assert out.rstrip().endswith("result: DIFFERENCES FOUND; 1 module type not covered by the kit")


def test_dspex_parity_names_the_module_types_the_kit_does_not_cover(wrong_backend):
    done = run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", "--json", wrong_mode="none")
    assert done.returncode == 0, done.stdout + done.stderr
    import json

    data = json.loads(done.stdout)
    assert data["ok"] is True and data["not_covered"] == ["code_act"] and data["skipped"] == []
    code_act = [r for r in data["results"] if r["module_type"] == "code_act"]
    assert code_act == [{"module_type": "code_act", "property": "-", "status": "not covered", "cases": 0,
                         "agreed": 0, "first_difference": None, "example": None,
                         "note": "'wrong' serves 'code_act' but the kit has no property for it: nothing about it "
                                 "was checked"}]
    # the module types the kit covers and 'wrong' does not serve are listed as not served, the new ones included
    for module_type in ("react", "multi_chain_comparison", "best_of_n", "refine", "retry", "parallel",
                        "program_of_thought"):
        assert {r["status"] for r in data["results"] if r["module_type"] == module_type} == {"not served"}
    text = run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", wrong_mode="none")
    assert text.returncode == 0
    assert "NOT COVERED by the kit, nothing was checked: code_act\n" in text.stdout
    assert text.stdout.rstrip().endswith("result: all checked properties agree; 1 module type not covered by the kit")
    # asking for some module types checks only those, and says nothing about the rest
    only = run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", "--module-type", "predict", "--json",
                   wrong_mode="none")
    assert json.loads(only.stdout)["not_covered"] == []


def test_dspex_parity_prints_its_seed_and_repeats_a_run_from_it(wrong_backend):
    first = run_cli("parity", "wrong", "--reference", "toy", "--examples", "25", "--module-type", "predict",
                    wrong_mode="prompt")
    found = re.match(r"dspex parity: backend 'wrong' against reference 'toy', seed (\d+) \(--seed \1 repeats this "
                     r"run\)\n", first.stdout)
    assert found, first.stdout
    again = run_cli("parity", "wrong", "--reference", "toy", "--examples", "25", "--module-type", "predict",
                    "--seed", found.group(1), wrong_mode="prompt")
    assert again.stdout == first.stdout and again.returncode == first.returncode == 1
    import json

    data = json.loads(run_cli("parity", "wrong", "--reference", "toy", "--examples", "25", "--module-type", "predict",
                              "--seed", found.group(1), "--json", wrong_mode="prompt").stdout)
    assert data["seed"] == int(found.group(1))
    assert "as a unified diff:" in data["results"][0]["first_difference"]  # in full in --json too
    assert first.stderr == ""  # no progress when stderr is not a terminal


def test_dspex_parity_shows_progress_on_a_terminal(wrong_backend):
    """stderr a terminal: what is being checked, rewritten on one line, then cleared; stdout unchanged."""
    import pty

    main, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    env["DSPEX_WRONG_MODE"] = "none"
    try:
        done = subprocess.run([DSPEX, "parity", "wrong", "--reference", "toy", "--examples", "5", "--module-type",
                               "predict", "--seed", "1"], stdout=subprocess.PIPE, stderr=secondary, text=True,
                              env=env, timeout=600)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal's other end is closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
    shown = b"".join(chunks).decode()
    assert done.returncode == 0, done.stdout
    for number, prop in enumerate(("messages", "settings", "prediction", "failures")):
        assert f"\r\x1b[Kdspex parity (seed 1): {number}/4 checked, now predict/{prop}" in shown
    assert shown.endswith("\r\x1b[K")
    assert "\x1b" not in done.stdout


def test_dspex_parity_exits_0_when_everything_agrees(wrong_backend):
    done = run_cli("parity", "wrong", "--reference", "toy", "--examples", "30", "--module-type", "predict",
                   wrong_mode="none")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\nmessages +30 +30 +agreed +-\n", done.stdout)
    assert "chain_of_thought" not in done.stdout
    assert done.stdout.rstrip().endswith("result: all checked properties agree")


def test_dspex_parity_json_and_usage_errors(wrong_backend):
    done = run_cli("parity", "wrong", "--reference", "toy", "--examples", "10", "--module-type", "predict",
                   "--json", wrong_mode="prompt")
    assert done.returncode == 1
    import json

    data = json.loads(done.stdout)
    assert data["ok"] is False
    statuses = {r["property"]: r["status"] for r in data["results"]}
    assert statuses == {"messages": "differs", "settings": "agreed", "prediction": "agreed", "failures": "agreed"}
    first = data["results"][0]
    assert first["first_difference"].startswith("messages: LM call 1, message 0 (system)")
    assert first["example"].startswith("LMCase('predict',")
    missing = run_cli("parity", "nonexistent", "--reference", "toy", wrong_mode="none")
    assert missing.returncode == 2 and "'nonexistent' is not installed" in missing.stderr
    unknown = run_cli("parity", "wrong", "--reference", "toy", "--module-type", "code_act", wrong_mode="none")
    assert unknown.returncode == 2 and "no properties for code_act" in unknown.stderr


def test_dspex_parity_contract_runs_the_contract_checks_and_reports_a_broken_one(wrong_backend):
    import json

    ok = run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", "--module-type", "predict",
                 "--contract", wrong_mode="none")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "predict: contract\n" in ok.stdout and re.search(r"\nthread_safety +passed +-\n", ok.stdout)
    assert ok.stdout.rstrip().endswith("result: all checked properties agree, every contract check passed")
    broken = run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", "--module-type", "predict",
                     "--contract", wrong_mode="options")
    assert broken.returncode == 1
    assert re.search(r"\nbad_input +failed +create\('predict', ", broken.stdout), broken.stdout
    block = broken.stdout.split("--- predict / contract bad_input: failure ---\n", 1)[1]
    assert "no_such_option_xyz=1) on 'wrong' accepted an unknown option" in block.split("\n\n")[0]
    assert re.search(r"\nmessages +5 +5 +agreed", broken.stdout)  # parity itself is fine: options are not prompts
    data = json.loads(run_cli("parity", "wrong", "--reference", "toy", "--examples", "5", "--module-type", "predict",
                              "--contract", "--json", wrong_mode="options").stdout)
    assert data["ok"] is False
    assert {c["check"]: c["status"] for c in data["contract"]} == {
        "async_twins": "passed", "module_ref": "passed", "bad_input": "failed", "telemetry": "passed",
        "thread_safety": "passed"}


# -- the pytest base class ---------------------------------------------------------------------
SUITE = textwrap.dedent("""
    from dspex_core.testing.conformance import BackendConformance

    class TestWrong(BackendConformance):
        backend = "wrong"
        reference = "toy"
        max_examples = 40

    class TestExampleAlone(BackendConformance):
        backend = "example"     # serves metrics, which the reference does not: contract checks only
        reference = "toy"
        module_types = ("metrics",)  # (its predict is DSPy's: tox -e example checks it against dspy)
        max_examples = 40
""")


def run_suite(tmp_path: Path, wrong_mode: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_wrong_conformance.py").write_text(SUITE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    env["DSPEX_WRONG_MODE"] = wrong_mode
    return subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-rfs", *args,
                           str(tmp_path / "test_wrong_conformance.py")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)


def test_backend_conformance_subclass_passes_and_reports_not_served(wrong_backend, tmp_path):
    done = run_suite(tmp_path, "none")
    assert done.returncode == 0, done.stdout[-3000:]
    # TestWrong: 8 parity + 5 contract checks x 2 LM types; TestExampleAlone: the 5 contract checks on metrics;
    # skipped: 73 kit tests, 4 parity properties and 5 contract checks for each of the 7 agents and wrappers and
    # lm, one property and 5 contract checks for each of the 8 optimizers and retrievers in both suites (served
    # by neither), and each suite's test_not_covered for every type of the table the kit does not cover
    optimizers_and_retrievers = len(OPTIMIZER_MODULE_TYPES + RETRIEVER_MODULE_TYPES)
    assert optimizers_and_retrievers == 8
    skipped = 73 + 2 * (7 + 1) * (4 + 5) + 2 * optimizers_and_retrievers * (1 + 5) + 2 * len(UNCOVERED)
    assert f"23 passed, {skipped} skipped" in done.stdout
    for module_type in ("react", "parallel", "program_of_thought"):
        assert f"NOT SERVED: backend 'wrong' does not serve {module_type!r}" in done.stdout
    assert "NOT SERVED: backend 'wrong' does not serve 'metrics'" in done.stdout
    assert "NOT SERVED: the reference 'toy' does not serve 'metrics'" in done.stdout
    for test in ("test_async_twins", "test_bad_input", "test_module_ref", "test_telemetry", "test_thread_safety"):
        assert f"TestExampleAlone::{test}[metrics] PASSED" in done.stdout


def test_backend_conformance_reports_what_it_did_not_check(wrong_backend, tmp_path):
    done = run_suite(tmp_path, "none", "-k", "test_module_ref")
    assert done.returncode == 0, done.stdout[-3000:]
    summary = done.stdout.split("dspex conformance: coverage", 1)[1]
    assert ("TestWrong: backend 'wrong' against reference 'toy'\n"
            "  checked (parity and contract): predict, chain_of_thought\n"
            "  NOT COVERED by the kit, nothing was checked: code_act\n") in summary
    assert ("TestExampleAlone: backend 'example' against reference 'toy'\n"
            "  contract only, no parity (the reference 'toy' does not serve them): metrics\n"
            "  not checked (left out by TestExampleAlone.module_types): predict\n"
            "  not covered by the kit: none (the kit has properties for every type it registers)\n") in summary


def test_backend_conformance_skips_a_table_type_it_has_no_property_for_as_not_covered(wrong_backend, tmp_path):
    done = run_suite(tmp_path, "none", "-k", "test_not_covered")
    assert done.returncode == 0, done.stdout[-3000:]
    out = done.stdout
    reasons = [line.split(": ", 1)[1] for line in out.split("short test summary info", 1)[1].splitlines()
               if line.startswith("SKIPPED [")]
    assert "code_act" in UNCOVERED and "react" not in UNCOVERED
    # 'wrong' registers code_act, a row of the table the kit has no property for: a skip, never a pass
    assert "TestWrong::test_not_covered[code_act] SKIPPED" in out
    assert [r for r in reasons if r.startswith("NOT COVERED")] == [
        "NOT COVERED: 'wrong' serves 'code_act' but the kit has no property for it: nothing about it was checked"]
    # every other type of the table the kit does not cover is NOT SERVED, in both suites
    for module_type in UNCOVERED:
        assert f"TestExampleAlone::test_not_covered[{module_type}] SKIPPED" in out
        assert f"NOT SERVED: backend 'example' does not serve {module_type!r}" in reasons
        assert f"TestWrong::test_not_covered[{module_type}] SKIPPED" in out
        if module_type != "code_act":
            assert f"NOT SERVED: backend 'wrong' does not serve {module_type!r}" in reasons
    assert len(reasons) == 2 * len(UNCOVERED)
    assert re.search(rf"\b{2 * len(UNCOVERED)} skipped, \d+ deselected", out) and " passed" not in out


def test_backend_conformance_subclass_fails_with_the_minimal_case(wrong_backend, tmp_path):
    done = run_suite(tmp_path, "prompt", "-k", "test_parity")
    assert done.returncode == 1
    out = done.stdout
    assert "FAILED test_wrong_conformance.py::TestWrong::test_parity[predict-messages]" in out
    assert "FAILED test_wrong_conformance.py::TestWrong::test_parity[chain_of_thought-messages]" in out
    assert "messages: LM call 1, message 0 (system), 'content' differs first at character 0" in out
    assert "minimal case:" in out
    assert "Falsifying example" in out or "Failing test case" in out
    assert "6 passed" in out  # settings, prediction, failures agree for both module types
