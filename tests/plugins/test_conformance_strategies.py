"""The kit's strategies make what they promise, import without dspy, and the profiles follow the environment."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspex_core import Signature
from dspex_core.testing import LMCall, profiles
from dspex_core.testing import strategies as ds
from dspex_core.testing.conformance._outcome import Outcome, error_class
from dspex_core.testing.conformance._properties import diff_messages, diff_settings, same_value, text_diff

HEADER = re.compile(r"^\[\[ ## (\w+) ## \]\]$", re.M)


def check_type(annotation, value):
    if typing.get_origin(annotation) is typing.Literal:
        return value in typing.get_args(annotation)
    if annotation == list[str]:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return type(value) is annotation


def test_the_kit_imports_without_dspy_or_backends():
    code = ("import sys; import dspex_core.testing.strategies, dspex_core.testing.conformance, "
            "dspex_core.testing.profiles, dspex_core.cli.parity; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dspy', 'dspex_native', 'dspex_dspy', 'litellm')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_backend_conformance_comes_from_dspex_core_testing_and_loads_pytest_only_then():
    code = ("import sys; import dspex_core.testing; "
            "assert 'pytest' not in sys.modules and 'hypothesis' not in sys.modules, 'not light'; "
            "import dspex_core.testing.conformance as kit; "
            "assert 'pytest' not in sys.modules, 'the conformance functions (dspex parity) need no pytest'; "
            "from dspex_core.testing import BackendConformance; "
            "assert 'pytest' in sys.modules and 'hypothesis' in sys.modules; "
            "assert BackendConformance is kit.BackendConformance is dspex_core.testing.BackendConformance; "
            "assert 'BackendConformance' in dspex_core.testing.__all__")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_conformance_package_exports_its_public_names():
    from dspex_core.testing import conformance

    assert sorted(conformance.__all__) == sorted([
        "BackendConformance", "check", "check_property", "check_case", "PropertyReport", "Difference", "Mismatch",
        "KIT_MODULE_TYPES", "PROPERTIES", "ConformanceCoverageWarning"])
    for name in conformance.__all__:
        assert getattr(conformance, name) is not None
    with pytest.raises(AttributeError):
        conformance.no_such_name  # noqa: B018


@given(ds.signatures())
def test_signatures_build_in_every_form_and_parse_back(spec):
    sig = spec.signature()
    assert list(sig.input_fields) == [f.name for f in spec.inputs]
    assert list(sig.output_fields) == [f.name for f in spec.outputs]
    names = [f.name for f in (*spec.inputs, *spec.outputs)]
    assert len(names) == len(set(names)) and not set(names) & ds.RESERVED_NAMES
    for f in (*spec.inputs, *spec.outputs):
        field = sig.fields[f.name]
        assert field.annotation == f.annotation
        assert field.desc == f.desc
    if spec.instructions is not None:
        assert sig.has_custom_instructions
    built = spec.build()
    assert {"string": str, "signature": Signature}.get(spec.form, type) is type(built) or isinstance(built, type)
    assert repr(spec).startswith("SignatureSpec(")


@settings(max_examples=60)
@given(st.data())
def test_inputs_and_demos_have_values_of_the_declared_types(data):
    spec = data.draw(ds.signatures())
    values = data.draw(ds.inputs(spec))
    assert list(values) == [f.name for f in spec.inputs]
    for f in spec.inputs:
        assert check_type(f.annotation, values[f.name])
    fields = {f.name: f for f in (*spec.inputs, *spec.outputs)}
    for demo in data.draw(ds.demos(spec, complete=True)):
        assert set(demo) == set(fields)
    for demo in data.draw(ds.demos(spec, complete=False)):
        assert demo and set(demo) <= set(fields)
        assert all(check_type(fields[k].annotation, v) for k, v in demo.items())


@settings(max_examples=80)
@given(st.data())
def test_well_formed_replies_have_every_field_in_order_then_completed(data):
    spec = data.draw(ds.signatures())
    module_type = data.draw(st.sampled_from(["predict", "chain_of_thought"]))
    fields = ds.reply_fields(spec, module_type)
    reply = data.draw(ds.well_formed_replies(fields))
    headers = HEADER.findall(reply)
    assert headers == [f.name for f in fields] + ["completed"]
    assert (module_type == "chain_of_thought") == (headers[0] == "reasoning")


@settings(max_examples=80)
@given(st.data())
def test_json_replies_hold_one_object_with_typed_values(data):
    spec = data.draw(ds.signatures())
    fields = ds.reply_fields(spec)
    reply = data.draw(ds.json_replies(fields))
    payload = json.loads(reply[reply.index("{"):reply.rindex("}") + 1])
    assert list(payload) == [f.name for f in fields]
    for f in fields:
        value = payload[f.name]
        assert check_type(f.annotation, value) or (f.annotation is float and isinstance(value, int))
    assert "[[ ##" not in reply


@settings(max_examples=80)
@given(st.data())
def test_malformed_replies_never_carry_every_field_with_good_values(data):
    spec = data.draw(ds.signatures())
    fields = ds.reply_fields(spec)
    reply = data.draw(ds.malformed_replies(fields))
    headers = HEADER.findall(reply)
    if headers[:-1] == [f.name for f in fields]:
        # every header is there, so one value must be of the wrong type
        assert any(f.annotation is not str for f in fields)


def test_reply_kinds_are_checked():
    with pytest.raises(ValueError, match="unknown reply kinds"):
        ds.replies([], ["poetry"])


@settings(max_examples=40)
@given(ds.cases("predict"))
def test_lm_cases_script_enough_replies_for_n_and_the_fallback(case):
    n = (case.create_options.get("n") or case.call_options.get("config", {}).get("n") or 1)
    assert len(case.script) == 2 * n
    assert repr(case).startswith("LMCase('predict',")


@pytest.mark.parametrize("module_type", ["metrics", "signature", "template", "validator"])
def test_output_cases_exist_for_every_module_type_without_an_lm(module_type):
    @settings(max_examples=20)
    @given(ds.cases(module_type))
    def draw(case):
        assert case.module_type == module_type
        assert isinstance(case.inputs, dict)

    draw()


@pytest.mark.parametrize("module_type", ["multi_chain_comparison", "react", "program_of_thought", "best_of_n",
                                         "refine", "retry", "parallel", "lm", "labeled_few_shot", "bootstrap_few_shot",
                                         "bootstrap_few_shot_with_random_search", "copro", "mipro", "mipro_v2",
                                         "colbert_v2", "retrieve"])
def test_module_cases_exist_for_the_agents_wrappers_lm_optimizers_and_retrievers_and_replay_alike(module_type):
    """Every run of a case starts from the same script: two fresh scripts answer one request alike."""
    from dspex_core.testing.conformance._module_case import ModuleCase

    @settings(max_examples=15, deadline=None)
    @given(ds.cases(module_type))
    def draw(case):
        assert isinstance(case, ModuleCase) and case.module_type == module_type
        assert repr(case).startswith(f"{type(case).__name__}({module_type!r},")
        request = [{"role": "system", "content": "Your output fields are `a`."},
                   {"role": "user", "content": "[[ ## q ## ]]\nq0:ok x"}]
        first, second = case.script(), case.script()
        if callable(first):
            try:
                assert first(request, {}) == second(request, {})
            except Exception as exc:  # noqa: BLE001 - a scripted refusal must be the same too
                with pytest.raises(type(exc)):
                    second(request, {})
        else:
            assert first == second

    draw()


def test_unknown_module_type_has_no_cases():
    with pytest.raises(ValueError, match="no cases for 'code_act'"):
        ds.cases("code_act")


# -- comparison helpers --------------------------------------------------------------------------
def test_same_value_compares_types_all_the_way_down():
    assert same_value([1, "a"], [1, "a"])
    assert not same_value(1, True) and not same_value(1, 1.0) and not same_value([1], [1.0])
    assert not same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order matters for fields
    assert same_value(float("nan"), float("nan"))


def test_text_diff_points_at_the_first_different_character():
    at, detail = text_diff("Your input fields are", "Your input field are")
    assert at == 16
    assert "backend:   'Your input fields are'" in detail


def test_message_and_settings_differences_read_well():
    a = Outcome("b", [LMCall([{"role": "system", "content": "abc"}], {"temperature": 0.0, "n": 1})])
    b = Outcome("r", [LMCall([{"role": "system", "content": "abd"}], {"temperature": 0.0})])
    assert str(diff_messages(a, b)).startswith("messages: LM call 1, message 0 (system), 'content' differs first "
                                               "at character 2")
    # the whole request is compared: n=1 is a key the reference did not pass
    assert str(diff_settings(a, b)) == ("settings: LM call 1: request settings differ in n\n"
                                        "  n: backend 1 (int), reference (absent)")
    c = Outcome("r", [LMCall([{"role": "system", "content": "abc"}], {"temperature": 0.7, "n": 1})])
    assert "temperature: backend 0.0 (float), reference 0.7 (float)" in str(diff_settings(a, c))
    d = Outcome("r", [LMCall([{"role": "system", "content": "abc"}], {"n": 1, "temperature": 0})])
    assert "temperature: backend 0.0 (float), reference 0 (int)" in str(diff_settings(a, d))  # the type counts
    e = Outcome("r", [LMCall([{"role": "system", "content": "abd"}], {"n": 1, "temperature": 0.0})])
    assert diff_settings(a, e) is None  # the order of the keys does not
    f = Outcome("r", [LMCall([{"role": "system", "content": "abc"}], {"temperature": 0.0, "n": 1, "top_k": None})])
    assert "top_k: backend (absent), reference None (NoneType)" in str(diff_settings(a, f))


def test_error_class_names_the_dspex_error_callers_catch():
    from dspex_core.errors import AdapterParseError, SignatureError

    class Custom(AdapterParseError):
        pass

    assert error_class(Custom("x")) == "AdapterParseError"
    assert error_class(SignatureError("x")) == "SignatureError"
    assert error_class(KeyError("x")) == "KeyError"


# -- profiles -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("env", "expected"), [
    ({}, profiles.CI),
    ({"HYPOTHESIS_PROFILE": "thorough"}, profiles.THOROUGH),
    ({"DSPEX_HYPOTHESIS_PROFILE": "thorough", "HYPOTHESIS_PROFILE": "ci"}, profiles.THOROUGH),
    ({"DSPEX_HYPOTHESIS_PROFILE": "dspex-ci"}, profiles.CI),
])
def test_profile_follows_the_environment(monkeypatch, env, expected):
    for key in ("DSPEX_HYPOTHESIS_PROFILE", "HYPOTHESIS_PROFILE", "DSPEX_CONFORMANCE_EXAMPLES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert profiles.profile_name() == expected
    want = profiles.THOROUGH_EXAMPLES if expected == profiles.THOROUGH else profiles.CI_EXAMPLES
    assert profiles.conformance_settings().max_examples == want
    assert profiles.conformance_settings().deadline is None


def test_examples_can_be_set_directly(monkeypatch):
    monkeypatch.setenv("DSPEX_CONFORMANCE_EXAMPLES", "7")
    assert profiles.conformance_settings(50).max_examples == 7
    monkeypatch.setenv("DSPEX_CONFORMANCE_EXAMPLES", "many")
    from dspex_core.errors import ConfigError

    with pytest.raises(ConfigError, match="whole number"):
        profiles.examples()


@pytest.mark.parametrize("temperature", [math.nextafter(0.15, 0.0), 0.15, math.nextafter(0.15, 1.0)])
def test_the_settings_cases_sit_on_dspys_n_rule(temperature):
    """The settings property's cases draw n > 1 with a temperature at 0.15 and the floats either
    side of it (DSPy sends 0.7 for n > 1 at a temperature <= 0.15), in create options and in a
    call's config, so an off-by-one in a backend's rule shows."""
    import random

    from hypothesis import Phase, find

    from dspex_core.testing.conformance._parity_runner import case_strategy

    def on_the_rule(where):
        def hit(case):
            settings = case.create_options if where == "create" else case.call_options.get("config", {})
            return settings.get("temperature") == temperature and (settings.get("n") or 0) > 1
        return hit

    for where in ("create", "call"):  # (a fixed seed: the search is the same on every run, never a miss by chance)
        found = find(case_strategy("predict", "settings"), on_the_rule(where),
                     settings=settings(max_examples=2000, phases=[Phase.generate], database=None),
                     random=random.Random(f"{where} {temperature}"))
        n = ({**found.create_options, **found.call_options.get("config", {})}).get("n")
        assert len(found.script) == 2 * n  # n replies to the first call, n to the JSON fallback
