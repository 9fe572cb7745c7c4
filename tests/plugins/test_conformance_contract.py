"""The kit's contract checks without a reference, its ``evaluate`` cases and how it tells evaluations apart.

Backends here are registered in process (``registry.register_plugin``): a small ``template``
implementation that keeps the contract, and variants that each break one rule. No reference
serves them, so the checks run on the contract alone, as they do for a type the reference
(dspy) does not serve.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from hypothesis import given, settings

import dspex_core as dspex
from dspex_core import Example, Prediction, registry
from dspex_core.errors import EvaluationError, InputError
from dspex_core.testing import strategies as ds
from dspex_core.testing.conformance import KIT_MODULE_TYPES, check
from dspex_core.testing.conformance._cases import OutputCase
from dspex_core.testing.conformance._contract import (
    ContractError,
    check_async_twin,
    check_bad_spec,
    check_unknown_option,
)
from dspex_core.testing.conformance._evaluate_cases import ERRORS, MATCH, EvaluateCase, Raise
from dspex_core.testing.conformance._outcome import Outcome
from dspex_core.testing.conformance._properties import diff_evaluation


# -- a template backend, right and wrong ----------------------------------------------------------
class Template:
    """``template``: ``str.format`` on the inputs; ``bug`` breaks one rule of the contract."""

    def __init__(self, bug: str = ""):
        self.bug = bug

    def create(self, spec: Any, **options: Any) -> str:
        if not isinstance(spec, str):
            if self.bug == "spec":
                raise ValueError("not a template")
            raise InputError(f"a template must be a string, got {type(spec).__name__}")
        unknown = sorted(set(options) - {"output"})
        if unknown and self.bug != "options":
            raise InputError("bad option" if self.bug == "silent" else f"unknown options {unknown}")
        return spec

    def execute(self, state: str, inputs: dict[str, Any], **options: Any) -> Prediction:
        try:
            return Prediction(text=state.format(**inputs))
        except KeyError as exc:
            raise InputError(f"missing variable {exc}; inputs: {sorted(inputs)}") from None

    async def aexecute(self, state: str, inputs: dict[str, Any], **options: Any) -> Prediction:
        result = self.execute(state, inputs)
        return Prediction(text=result.text.upper()) if self.bug == "async" else result


@pytest.fixture
def backend():
    names = []

    def install(bug: str = "") -> str:
        name = f"tmpl_{bug or 'ok'}"
        plugin = types.SimpleNamespace()

        @dspex.hookimpl
        def dspex_register_implementations(register):
            register("template", Template(bug), backend=name, native=False, priority=-100)
            register("my_own_type", Template(bug), backend=name, native=False, priority=-100)

        plugin.dspex_register_implementations = dspex_register_implementations
        registry.register_plugin(plugin, name)
        names.append(name)
        return name

    yield install
    for name in names:
        registry.unregister_plugin(name)


CASE = OutputCase("template", "Hello {name}!", {}, {"name": "ada"})


def test_a_backend_that_keeps_the_contract_passes_without_a_reference(backend):
    name = backend()
    check_async_twin(name, CASE)
    check_bad_spec(name, None, "template")
    check_unknown_option(name, None, "template")


@pytest.mark.parametrize("bug, check, message", [
    ("async", lambda n: check_async_twin(n, CASE), "acreate/aexecute differ from create/execute"),
    ("spec", lambda n: check_bad_spec(n, None, "template"), "a bad spec must raise dspex_core.InputError"),
    ("options", lambda n: check_unknown_option(n, None, "template"), "accepted an unknown option"),
    ("silent", lambda n: check_unknown_option(n, None, "template"), "does not name the unknown option"),
])
def test_each_broken_rule_is_reported_without_a_reference(backend, bug, check, message):
    name = backend(bug)
    with pytest.raises(ContractError, match=message):
        check(name)


def test_the_async_difference_shows_both_results(backend):
    name = backend("async")
    with pytest.raises(ContractError) as caught:
        check_async_twin(name, CASE)
    text = str(caught.value)
    assert "field 'text' differs" in text and "'HELLO ADA!'" in text and "'Hello ada!'" in text


@pytest.mark.parametrize("bug, failing, message", [
    ("", None, ""),
    ("async", "async_twins", "acreate/aexecute differ from create/execute"),
    ("spec", "bad_input", "a bad spec must raise dspex_core.InputError"),
])
def test_check_contract_reports_each_check_with_its_failure_and_case(backend, bug, failing, message):
    from dspex_core.testing.conformance._contract_runner import CONTRACT_CHECKS, check_contract

    name = backend(bug)
    reports = {c: check_contract(name, "template", c, reference=None, examples=5, seed=1) for c in CONTRACT_CHECKS}
    assert {c: r.status for c, r in reports.items()} == {c: "failed" if c == failing else "passed"
                                                          for c in CONTRACT_CHECKS}
    if failing:
        report = reports[failing]
        assert message in report.failure
        assert report.as_dict()["status"] == "failed" and not report.passed
        if failing == "async_twins":
            assert report.example.startswith("OutputCase('template'")  # the minimal case
    assert check_contract(name, "predict", "module_ref", reference=None).status == "not served"


def test_a_type_the_kit_does_not_cover_is_reported_not_covered(backend):
    name = backend()
    reports = check(name, reference=name, examples=5)
    covered = [r for r in reports if r.module_type in KIT_MODULE_TYPES]
    assert {r.module_type for r in covered} == set(KIT_MODULE_TYPES)
    uncovered = [r for r in reports if r.module_type not in KIT_MODULE_TYPES]
    assert [(r.module_type, r.status) for r in uncovered] == [("my_own_type", "not covered")]
    assert "nothing about it was checked" in uncovered[0].note and not uncovered[0].passed


# -- evaluate cases ------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(ds.evaluate_cases())
def test_evaluate_cases_are_complete_and_deterministic(case):
    devset = case.devset()
    assert 1 <= len(devset) <= 8
    assert all(isinstance(e, Example) and set(e.inputs().keys()) == set(case.input_keys) for e in devset)
    options = case.create_options
    assert options["num_threads"] == 1 and options["devset"] == devset
    for example in devset:
        inputs = dict(example.inputs().items())
        entry = case.program_table[case.key(inputs)]
        if isinstance(entry, Raise):
            with pytest.raises(ERRORS[entry.kind]):
                case.program(**inputs)
            continue
        prediction = case.program(**inputs)
        assert prediction == case.program(**inputs) and prediction[case.label] == entry
        score = case.metric_table[case.key(inputs)]
        if isinstance(score, Raise):
            with pytest.raises(ERRORS[score.kind]):
                case.metric(example, prediction)
        elif score == MATCH:
            assert case.metric(example, prediction) is (entry == example[case.label])
        else:
            assert case.metric(example, prediction, None) == score
    assert repr(case).startswith("EvaluateCase(inputs=") and "program={" in repr(case)


# -- telling two evaluations apart ---------------------------------------------------------------
def outcome(score=50.0, scores=(1, 0), error=None) -> Outcome:
    if error is not None:
        return Outcome("b", [], error=error, stage="execute")
    examples = [Example(q=str(i)).with_inputs("q") for i in range(len(scores))]
    results = [(e, Prediction(a="x"), s) for e, s in zip(examples, scores)]
    return Outcome("b", [], prediction=Prediction(score=score, results=results))


def stopped(*indices: int) -> EvaluationError:
    return EvaluationError("stopped", [(i, ValueError("boom")) for i in indices])


def test_equal_evaluations_agree():
    assert diff_evaluation(outcome(), outcome()) is None
    assert diff_evaluation(outcome(error=stopped(0, 2)), outcome(error=stopped(0, 2))) is None


@pytest.mark.parametrize("mine, theirs, summary", [
    (outcome(score=50.0), outcome(score=50.01), "evaluation: the score differs"),
    (outcome(scores=(1.0, 0)), outcome(scores=(1, 0)), "evaluation: result 0: the example's score differs"),
    (outcome(scores=(1,)), outcome(), "evaluation: 1 results, reference 2"),
    (outcome(error=stopped(0, 1)), outcome(error=stopped(0, 2)),
     "evaluation: the evaluation stopped on other failures"),
    (outcome(error=stopped(0)), outcome(), "evaluation: only the backend failed"),
    (outcome(error=ValueError("x")), outcome(error=stopped(0)), "evaluation: different errors"),
])
def test_evaluations_that_differ_say_where(mine, theirs, summary):
    found = diff_evaluation(mine, theirs)
    assert found is not None and str(found).startswith(summary), str(found)


def test_an_evaluation_case_prints_its_tables():
    case = EvaluateCase(("q",), "a", [{"q": "Paris", "a": "Paris"}], {("Paris",): Raise("KeyError")},
                        {("Paris",): MATCH}, 1, 0.0)
    assert repr(case) == ("EvaluateCase(inputs=['q'], label='a', max_errors=1, failure_score=0.0,\n"
                          "  devset=[\n    {'q': 'Paris', 'a': 'Paris'},\n  ],\n"
                          "  program={('Paris',): raises KeyError},\n  metric={('Paris',): 'match'})")


# -- the coverage report of a BackendConformance run -----------------------------------------------
def test_coverage_lines_group_the_backends_module_types(backend):
    from dspex_core.testing.conformance._coverage_report import coverage_lines

    name = backend()
    assert coverage_lines("TestT", name, name, None) == [
        f"TestT: backend {name!r} against reference {name!r}",
        "  checked (parity and contract): template",
        "  NOT COVERED by the kit, nothing was checked: my_own_type"]
    assert coverage_lines("TestT", name, "example", ("predict",)) == [
        f"TestT: backend {name!r} against reference 'example'",
        "  not checked (left out by TestT.module_types): template",
        "  NOT COVERED by the kit, nothing was checked: my_own_type"]
    assert coverage_lines("TestT", name, "example", None)[1] == (
        "  contract only, no parity (the reference 'example' does not serve them): template")


def test_without_a_terminal_the_coverage_is_a_warning(backend):
    from dspex_core.testing.conformance._coverage_report import ConformanceCoverageWarning, report

    name = backend()
    config = types.SimpleNamespace(pluginmanager=types.SimpleNamespace(get_plugin=lambda _name: None))
    with pytest.warns(ConformanceCoverageWarning, match="NOT COVERED by the kit, nothing was checked: my_own_type"):
        report(config, "TestT", name, name, None)
