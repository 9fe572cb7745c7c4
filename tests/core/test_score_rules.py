"""The core's rule for a metric's value in an evaluation (dspex_core.backend.score_rules): ``None``
is scored ``failure_score`` while the run goes on, then raised as an InputError naming the metric
and the first such example in devset order."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core.backend import score_rules


def my_metric(example, prediction, trace=None):
    return None


def test_values_pass_and_none_is_scored_the_failure_score_meanwhile():
    nones = score_rules.NoneScores(0.0)
    assert nones.check("a", 1.0) == 1.0 and nones.check("a", False) is False and nones.check("a", 0) == 0
    assert nones.check("b", None) == 0.0


def test_the_error_names_the_metric_the_first_example_in_devset_order_and_the_count():
    devset = ["e0", "e1", "e2", "e3"]
    nones = score_rules.NoneScores(0.0)
    for example in ("e3", "e1"):  # workers finish out of order
        nones.check(example, None)
    with pytest.raises(dspex.InputError) as info:
        nones.raise_if_any(devset, my_metric)
    assert str(info.value) == ("evaluate: the metric 'my_metric' returned None for devset[1] (2 of 4 examples); "
                               "a metric returns a number or a bool (is a `return` missing?)")


def test_nothing_is_raised_when_every_value_was_given():
    nones = score_rules.NoneScores(0.0)
    nones.check("e0", 0.5)
    nones.raise_if_any(["e0"], my_metric)
