"""Text metrics with DSPy's semantics: ``normalize_text``, ``exact_match`` and ``f1``.

An implementation is any object with ``create(spec, **options) -> state`` and
``execute(state, inputs, **options) -> Prediction``. Here the state is just the metric
function; ``execute`` reads the inputs the ``metrics`` contract names (see
``docs/module-types.md`` in the dspex repository) and returns ``Prediction(score=...)``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from typing import Any, Callable, Mapping

from dspex_core import CapabilityError, InputError, Prediction

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_text(text: str) -> str:
    """NFD, lower case, no punctuation, no English articles, single spaces."""
    text = unicodedata.normalize("NFD", text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _references(inputs: Mapping[str, Any]) -> list[str]:
    if "reference" not in inputs or "prediction" not in inputs:
        raise InputError(f"metrics need 'prediction' and 'reference' inputs, got {sorted(inputs)}")
    reference = inputs["reference"]
    references = [reference] if isinstance(reference, str) else reference
    if not isinstance(references, list) or not references or not all(isinstance(r, str) for r in references):
        raise InputError("'reference' must be a string or a non-empty list of strings")
    if not isinstance(inputs["prediction"], str):
        raise InputError("'prediction' must be a string")
    return references


def _exact_match(inputs: Mapping[str, Any]) -> Prediction:
    refs = _references(inputs)
    guess = normalize_text(inputs["prediction"])
    return Prediction(score=max(guess == normalize_text(r) for r in refs))


def _f1(prediction: str, reference: str) -> float:
    predicted = normalize_text(prediction).split()
    expected = normalize_text(reference).split()
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0
    precision = same / len(predicted)
    recall = same / len(expected)
    return (2 * precision * recall) / (precision + recall)


def _f1_metric(inputs: Mapping[str, Any]) -> Prediction:
    refs = _references(inputs)
    return Prediction(score=max(_f1(inputs["prediction"], r) for r in refs))


def _normalize(inputs: Mapping[str, Any]) -> Prediction:
    if not isinstance(inputs.get("text"), str):
        raise InputError("normalize_text needs a string input 'text'")
    return Prediction(text=normalize_text(inputs["text"]))


METRICS: dict[str, Callable[[Mapping[str, Any]], Prediction]] = {
    "exact_match": _exact_match,
    "f1": _f1_metric,
    "normalize_text": _normalize,
}
NOT_YET = ("answer_exact_match", "answer_passage_match", "passage_match")


class ExampleMetrics:
    """The ``metrics`` module type: ``create("f1")`` then ``execute(state, {...})``."""

    #: what ``dspex backends`` lists as not built yet (each raises CapabilityError)
    not_implemented = tuple(f"the {name} metric" for name in NOT_YET)

    def create(self, spec: Any = None, **options: Any) -> Callable[[Mapping[str, Any]], Prediction]:
        if options:
            raise InputError(f"the example metrics take no options, got {sorted(options)}")
        if spec in NOT_YET:
            raise CapabilityError(f"the example backend does not implement the {spec!r} metric yet")
        if spec not in METRICS:
            raise InputError(f"unknown metric {spec!r}; known: {', '.join(sorted(METRICS))}")
        return METRICS[spec]

    def execute(self, state: Callable[[Mapping[str, Any]], Prediction], inputs: Mapping[str, Any],
                **options: Any) -> Prediction:
        if options:
            raise InputError(f"the example metrics take no call options, got {sorted(options)}")
        return state(inputs)
