"""The example's own unit tests: a few fixed cases next to the generated conformance suite."""

import pytest

import dspex_core as dspex


@pytest.mark.parametrize(("name", "inputs", "expected"), [
    ("normalize_text", {"text": "The  Eiffel Tower!"}, {"text": "eiffel tower"}),
    ("exact_match", {"prediction": "the Eiffel Tower", "reference": ["Eiffel tower", "Paris"]}, {"score": True}),
    ("f1", {"prediction": "Eiffel", "reference": "the Eiffel Tower"}, {"score": 2 / 3}),
])
def test_fixed_cases(name, inputs, expected):
    ref = dspex.Metrics.create(name, implementation="example")
    assert ref.backend == "example"
    assert dict(dspex.Metrics.execute(ref, inputs).items()) == expected


def test_unknown_metric_is_an_input_error():
    with pytest.raises(dspex.InputError, match="unknown metric"):
        dspex.Metrics.create("bleu", implementation="example")


def test_metrics_it_does_not_implement_are_capability_errors():
    with pytest.raises(dspex.CapabilityError, match="answer_exact_match"):
        dspex.Metrics.create("answer_exact_match", implementation="example")
