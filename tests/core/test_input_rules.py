"""The core's rule for a call's input fields (dspex_core.backend.input_rules), which every backend
applies: missing and misspelt inputs are errors naming the inputs, other names are ignored with a
warning (DSPy's), and an Optional input may be left out where the module type allows it."""

from __future__ import annotations

import warnings

import pytest

import dspex_core as dspex
from dspex_core.backend import Signature, input_rules

NAMES = frozenset({"question", "context"})


def test_exact_names_pass_unchanged():
    given = {"question": "q", "context": "c"}
    assert input_rules.check_inputs("predict", NAMES, given) is given


@pytest.mark.parametrize("given, message", [
    ({"questio": "q", "context": "c"},
     "predict: missing input field(s) 'question'; unknown input field(s) 'questio' (did you mean 'question'?); "
     "the inputs are context, question"),
    ({"context": "c"}, "predict: missing input field(s) 'question'; the inputs are context, question"),
    ({}, "predict: missing input field(s) 'context', 'question'; the inputs are context, question"),
    ({"Question": "q", "context": "c"},
     "predict: missing input field(s) 'question'; unknown input field(s) 'Question' (did you mean 'question'?); "
     "the inputs are context, question"),
    ({"query": "q", "context": "c"},  # not like 'question': named, without a guess
     "predict: missing input field(s) 'question'; unknown input field(s) 'query'; the inputs are context, question"),
])
def test_missing_and_misspelt_inputs_are_input_errors_naming_the_inputs(given, message):
    with pytest.raises(dspex.InputError) as info:
        input_rules.check_inputs("predict", NAMES, given)
    assert str(info.value) == message


def test_an_extra_name_is_ignored_with_an_input_warning_naming_it():
    given = {"question": "q", "context": "c", "zzz": 1}
    with pytest.warns(dspex.InputWarning) as record:
        kept = input_rules.check_inputs("predict", NAMES, given)
    assert kept == {"question": "q", "context": "c"}
    assert str(record[0].message) == ("predict: input field(s) 'zzz' not in the signature are ignored; "
                                      "the inputs are context, question")
    assert record[0].filename == __file__  # the warning points at the caller, not at dspex


def test_a_name_that_duplicates_a_given_input_is_extra_not_misspelt():
    with pytest.warns(dspex.InputWarning, match="'contxt'"):
        assert input_rules.check_inputs("predict", NAMES, {"question": "q", "context": "c", "contxt": "c"}) == {
            "question": "q", "context": "c"}


def test_the_warning_can_be_made_an_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error", dspex.InputWarning)
        with pytest.raises(dspex.InputWarning):
            input_rules.check_inputs("predict", NAMES, {"question": "q", "context": "c", "zzz": 1})


def test_optional_inputs_may_be_left_out_where_the_module_allows_it():
    sig = Signature("question: str, context: Optional[str] -> answer")
    required = input_rules.required_inputs(sig.input_fields)
    assert required == {"question"}
    given = {"question": "q"}
    assert input_rules.check_inputs("predict", NAMES, given, required=required) is given
    with pytest.raises(dspex.InputError, match=r"the inputs are context \(optional\), question$"):
        input_rules.check_inputs("predict", NAMES, {}, required=required)


def test_a_misspelt_optional_input_is_an_error_too():
    with pytest.raises(dspex.InputError, match=r"unknown input field\(s\) 'contxt' \(did you mean 'context'\?\)"):
        input_rules.check_inputs("predict", NAMES, {"question": "q", "contxt": "c"}, required={"question"})


def test_accepted_names_pass_without_a_warning():
    given = {"question": "q", "context": "c", "prediction": {"type": "content", "content": "x"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert input_rules.check_inputs("predict", NAMES, given, accepted={"prediction"}) is given


def test_names_that_are_not_strings_are_reported_not_crashed_on():
    with pytest.raises(dspex.InputError, match=r"unknown input field\(s\) 1"):
        input_rules.check_inputs("predict", NAMES, {1: "x"})


@pytest.mark.parametrize("name, candidates, guess", [
    ("questio", ["question"], "question"),
    ("QUESTION", ["question"], "question"),
    ("contxt", ["context", "question"], "context"),
    ("q", ["question"], None),
    ("answer", ["question"], None),
    ("x", [], None),
])
def test_did_you_mean(name, candidates, guess):
    assert input_rules.did_you_mean(name, candidates) == guess
