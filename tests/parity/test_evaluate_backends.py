"""``evaluate`` on the native and the dspy backend: same scores, same failures, same error class.

Both follow DSPy's ``Evaluate``: a program or a metric that raises on an example scores
``failure_score`` and counts towards ``max_errors``; reaching ``max_errors`` stops the run
with :class:`dspex_core.EvaluationError` listing the failed examples.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex

# (value the program returns, the program raises, the metric raises)
_rows = st.lists(st.tuples(st.sampled_from([0.0, 0.25, 1.0]), st.booleans(), st.booleans()), min_size=1, max_size=8)


def _evaluate(backend, rows, failure_score, max_errors):
    devset = [dspex.Example(i=i).with_inputs("i") for i in range(len(rows))]

    def program(i):
        if rows[i][1]:
            raise RuntimeError(f"program fails on {i}")
        return dspex.Prediction(value=rows[i][0])

    def metric(example, pred, trace=None):
        if rows[example.i][2]:
            raise ValueError(f"metric fails on {example.i}")
        return pred.value

    ev = dspex.Evaluate.create(devset=devset, metric=metric, failure_score=failure_score, max_errors=max_errors,
                               num_threads=1, display_progress=False, implementation=backend)
    return ev(program=program)


def _outcome(backend, rows, failure_score, max_errors):
    try:
        result = _evaluate(backend, rows, failure_score, max_errors)
    except dspex.EvaluationError as exc:
        return "stopped", sorted(index for index, _ in exc.errors)
    return result.score, [score for _, _, score in result.results]


@settings(deadline=None)
@given(_rows, st.sampled_from([0.0, 0.5]), st.sampled_from([1, 2, 100]))
def test_native_and_dspy_evaluate_agree(rows, failure_score, max_errors):
    assert _outcome("native", rows, failure_score, max_errors) == _outcome("dspy", rows, failure_score, max_errors)


@pytest.mark.parametrize("backend", ["native", "dspy"])
def test_both_raise_the_core_evaluation_error(backend):
    with pytest.raises(dspex.EvaluationError) as info:
        _evaluate(backend, [(1.0, True, False), (1.0, False, True)], 0.0, 2)
    assert isinstance(info.value, dspex.InputError)
    assert [(i, type(e).__name__) for i, e in sorted(info.value.errors, key=lambda x: x[0])] == \
        [(0, "RuntimeError"), (1, "ValueError")]
