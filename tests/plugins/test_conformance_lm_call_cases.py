"""The kit's ``lm`` cases (a direct LM call): what they draw, and the whole path on a small ``lm``
backend registered in process, without dspy: a right one keeps the contract and agrees with
itself, and each property finds the wrong one it is for (a prompt sent as another role, a
setting dropped, a completion lost, an unknown input let through, a render that is not the
request).
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from hypothesis import given, settings

import dspex_core as dspex
from dspex_core import Prediction, registry
from dspex_core.backend import lm_call_rules, settings_rules
from dspex_core.errors import InputError
from dspex_core.testing import RecordingLM
from dspex_core.testing import strategies as ds
from dspex_core.testing.conformance import check_property
from dspex_core.testing.conformance._contract_runner import CONTRACT_CHECKS, check_contract
from dspex_core.testing.conformance._lm_call_cases import LM_FAILURES, MISTAKES, LMCallCase, lm_call_cases
from dspex_core.testing.conformance._outcome import run_case


# -- the cases ------------------------------------------------------------------------------------
def _n(case: LMCallCase) -> int:
    n = 1
    for config in (case.create_options.get("config"), case.call_options.get("config")):
        if isinstance(config, dict) and isinstance(config.get("n"), int) and config["n"] > 0:
            n = config["n"]
    return n


@settings(max_examples=60, deadline=None)
@given(lm_call_cases(("well_formed",)))
def test_well_formed_cases_are_one_good_call_with_an_lm_a_thread_can_see(case):
    assert case.module_type == "lm" and case.spec() is None and case.failure == "none"
    assert case.given in ("create", "call")  # a configured LM is seen by the calling thread alone
    assert len(case.inputs) == 1 and (isinstance(case.inputs.get("prompt"), str) or case.inputs["messages"])
    lm_call_rules.messages_of(case.inputs)  # the core's rule takes them
    for options in (case.create_options, case.call_options):
        assert set(options) <= {"config"}
        settings_rules.check_settings("lm", options.get("config") or {})
    assert len(case.replies) == _n(case) and case.script() == case.replies


@settings(max_examples=60, deadline=None)
@given(lm_call_cases(("well_formed", "malformed")))
def test_malformed_kinds_bring_mistakes_and_failing_lms_now_and_then(case):
    from hypothesis import event

    assert case.given in ("create", "call", "configured", "none")
    event(case.failure if case.failure != "none" else "a mistake" if case.given == "none" else "a call")
    if case.failure in LM_FAILURES:
        from dspex_core.errors import LMError

        with pytest.raises(LMError):
            case.script()([{"role": "user", "content": "x"}], {})
    assert len(case.replies) == _n(case)


def test_the_mistakes_are_the_ones_named():
    assert MISTAKES == ("neither", "both", "unknown_input", "unknown_option", "bad_setting", "bad_messages", "no_lm")


def test_the_lm_goes_where_the_case_says_and_nowhere_for_the_no_lm_check():
    lm = RecordingLM()
    case = LMCallCase({"prompt": "hi"}, {"config": {"n": 2}}, {}, given="create", replies=["a", "b"])
    with case.context():
        assert case.make("x", lm) == (None, {"config": {"n": 2}, "lm": lm}, {})
        assert case.make("x", None) == (None, {"config": {"n": 2}}, {})
    call = LMCallCase({"prompt": "hi"}, {}, {"config": {"n": 1}}, given="call", replies=["a"])
    with call.context():
        assert call.make("x", lm) == (None, {}, {"config": {"n": 1}, "lm": lm})
    configured = LMCallCase({"prompt": "hi"}, {}, {}, given="configured", replies=["a"])
    with configured.context():
        assert configured.make("x", lm) == (None, {}, {}) and dspex.settings().lm is lm
    assert dspex.settings().lm is not lm  # the run's configuration ends with it


# -- a small lm backend, right and wrong -------------------------------------------------------
class DirectLM:
    """The ``lm`` module type in a few lines, on the core's rules; ``bug`` names one mistake."""

    def __init__(self, bug: str = ""):
        self.bug = bug

    def create(self, spec: Any = None, **options: Any) -> tuple[Any, dict[str, Any]]:
        if spec is not None:
            raise InputError(f"lm takes no spec (got {spec!r})")
        lm_call_rules.check_options("lm", options)
        return options.get("lm"), dict(settings_rules.check_settings("lm", options.get("config") or {}))

    def _request(self, state: Any, inputs: Any, options: Any) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        if options:
            lm_call_rules.check_options("lm (call)", options)
        if self.bug == "lenient":  # lets an unknown input through
            inputs = {k: v for k, v in inputs.items() if k in ("messages", "prompt")}
        messages = lm_call_rules.messages_of(inputs)
        if self.bug == "system_prompt" and "prompt" in inputs:
            messages = [{"role": "system", "content": inputs["prompt"]}]
        lm, config = state
        request = {**config, **settings_rules.check_settings("lm (call)", options.get("config") or {})}
        if self.bug == "no_stop":
            request.pop("stop", None)
        lm = options.get("lm") or lm or dspex.settings().lm
        if lm is None:
            raise InputError("no LM: dspex.configure(lm=...) or pass lm=")
        return lm, messages, request

    def execute(self, state: Any, inputs: Any, **options: Any) -> Prediction:
        lm, messages, request = self._request(state, inputs, options)
        outputs = list(lm(messages, **request))
        return Prediction(outputs=outputs[:1] if self.bug == "first_only" else outputs)

    def render(self, state: Any, inputs: Any, **options: Any) -> dict[str, Any]:
        _, messages, request = self._request(state, inputs, options)
        if self.bug == "render":
            request = {**request, "temperature": 0.0}
        return {"messages": messages, "settings": request}


@pytest.fixture
def direct_lm():
    names = []

    def install(name: str, implementation: DirectLM) -> str:
        plugin = types.SimpleNamespace()

        @dspex.hookimpl
        def dspex_register_implementations(register):
            register("lm", implementation, backend=name, native=False, priority=-100)

        plugin.dspex_register_implementations = dspex_register_implementations
        registry.register_plugin(plugin, name)
        names.append(name)
        return name

    yield install
    for name in names:
        registry.unregister_plugin(name)


def test_a_right_lm_backend_keeps_the_contract_and_agrees_with_itself(direct_lm):
    name = direct_lm("lm_ok", DirectLM())
    reports = {c: check_contract(name, "lm", c, reference=None, seed=3) for c in CONTRACT_CHECKS}
    assert {c: r.status for c, r in reports.items()} == dict.fromkeys(CONTRACT_CHECKS, "passed"), reports
    for prop in ("messages", "settings", "prediction", "failures"):
        report = check_property(name, "lm", prop, reference=name, examples=20, seed=3)
        assert report.passed and report.cases == 20, (report, report.difference)
        assert "left out of the cases: logprobs=True" in report.note


@pytest.mark.parametrize("bug, prop, summary", [
    ("system_prompt", "messages", "messages: LM call 1, message 0: backend {'role': 'system'"),
    ("no_stop", "settings", "settings: LM call 1: request settings differ in stop"),
    ("first_only", "prediction", "prediction: field 'outputs' differs"),
    ("lenient", "failures", "failures: different outcome"),
])
def test_each_property_finds_the_wrong_lm_backend_it_is_for(direct_lm, bug, prop, summary):
    right, wrong = direct_lm("lm_ok", DirectLM()), direct_lm(f"lm_{bug}", DirectLM(bug))
    report = check_property(wrong, "lm", prop, reference=right, examples=200, seed=3)
    assert report.status == "differs", report
    assert str(report.difference).startswith(summary), str(report.difference)
    assert report.example.startswith("LMCallCase('lm',")


def test_the_module_ref_check_holds_a_render_to_the_request_sent(direct_lm):
    name = direct_lm("lm_render", DirectLM("render"))
    report = check_contract(name, "lm", "module_ref", reference=None, seed=3)
    assert report.status == "failed" and "render()'s settings" in report.failure, report.failure


def test_a_run_sends_the_prompt_as_one_user_message_with_the_merged_settings(direct_lm):
    name = direct_lm("lm_ok", DirectLM())
    case = LMCallCase({"prompt": "héllo"}, {"config": {"temperature": 0.3, "n": 2}}, {"config": {"max_tokens": 9}},
                      given="configured", replies=["a", "b"])
    outcome = run_case(name, case)
    assert outcome.ok and outcome.fields == [("outputs", ["a", "b"])]
    assert [(c.messages, c.settings) for c in outcome.calls] == [
        ([{"role": "user", "content": "héllo"}], {"temperature": 0.3, "n": 2, "max_tokens": 9})]
    failing = LMCallCase({"prompt": "x"}, {}, {}, given="call", replies=["a"], failure="context_window")
    assert run_case(name, failing).error_class == "ContextWindowExceededError"
