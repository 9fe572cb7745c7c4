"""DSPy's answer metrics, without DSPy: exact match, F1, passage match and their normalisation.

The functions reproduce ``dspy.evaluate.metrics`` exactly (same normalisation, same
return values and types: ``exact_match`` is a ``bool``, ``f1`` is ``0`` or a ``float``), so
that a score computed natively equals the one DSPy computes. ``passage_match`` also needs
DPR's tokenizer, which DSPy runs on the third-party ``regex`` module with
``[\\p{L}\\p{N}\\p{M}]+|[^\\p{Z}\\p{C}]``; here the same classes come from
:mod:`unicodedata` (one character category look-up each), so no extra dependency is needed.
The two agree on every code point Python's Unicode database assigns; code points it leaves
unassigned (category ``Cn``) but a newer ``regex`` release knows are treated as unassigned.

They are plain functions (the ``metrics`` module type, :mod:`dspex_native.modules.metrics`,
serves them by name, and ``evaluate`` takes the example/prediction ones as its metric).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping

from dspex_core.errors import InputError

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # string.punctuation
_ARTICLES = re.compile(r"\b(a|an|the)\b")


# -- normalisation and token scores ---------------------------------------------------------
def normalize_text(s: str) -> str:
    """NFD, lower case, drop ASCII punctuation, drop English articles, collapse whitespace."""
    s = unicodedata.normalize("NFD", s).lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


def em_score(prediction: str, ground_truth: str) -> bool:
    """Whether the two strings are equal after :func:`normalize_text`."""
    return normalize_text(prediction) == normalize_text(ground_truth)


def f1_score(prediction: str, ground_truth: str) -> float:
    """Token-level F1 of the normalised strings (``0`` without overlap, as DSPy)."""
    prediction_tokens = normalize_text(prediction).split()
    ground_truth_tokens = normalize_text(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def _references(answers: Any, what: str) -> list[str]:
    if isinstance(answers, str):
        return [answers]
    if isinstance(answers, (list, tuple)) and answers and all(isinstance(a, str) for a in answers):
        return list(answers)
    raise InputError(f"{what} must be a string or a non-empty list of strings, got {show(answers)}")


def exact_match(prediction: str, reference: str | list[str]) -> bool:
    """DSPy's ``EM``: whether ``prediction`` equals any reference after normalisation."""
    return max(em_score(prediction, ans) for ans in _references(reference, "reference"))


def f1(prediction: str, reference: str | list[str]) -> float:
    """DSPy's ``F1``: the best token F1 of ``prediction`` against the references."""
    return max(f1_score(prediction, ans) for ans in _references(reference, "reference"))


# -- DPR tokenisation (passage matching) ----------------------------------------------------
def dpr_tokenize(text: str) -> list[str]:
    """DPR's ``SimpleTokenizer`` words, lower-cased: runs of letters/digits/marks, or any
    single other character that is neither a separator nor a control/unassigned one."""
    words: list[str] = []
    run: list[str] = []
    category = unicodedata.category
    for ch in unicodedata.normalize("NFD", text):
        kind = category(ch)[0]
        if kind in "LNM":
            run.append(ch)
            continue
        if run:
            words.append("".join(run).lower())
            run = []
        if kind not in "ZC":
            words.append(ch.lower())
    if run:
        words.append("".join(run).lower())
    return words


def has_answer(tokenized_answers: Iterable[list[str]], text: str) -> bool:
    """Whether some answer's token list occurs contiguously in ``text``'s tokens."""
    tokens = dpr_tokenize(text)
    for answer in tokenized_answers:
        size = len(answer)
        for i in range(0, len(tokens) - size + 1):
            if answer == tokens[i:i + size]:
                return True
    return False


def _strings(value: Any, what: str) -> list[str]:
    """A string (one item) or a list of strings, possibly empty; every item checked up front,
    so a bad item is an error even when an earlier one already decides the result."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(f"{what} must be a string or a list of strings, got {show(value)}")


def passage_match(passages: str | list[str], answers: str | list[str]) -> bool:
    """Whether any passage contains any answer (both normalised, then DPR-tokenised).

    A single string is one passage (one answer); no passages or no answers match nothing."""
    passages = _strings(passages, "passages")
    answers = _strings(answers, "answers")
    tokenized = [dpr_tokenize(normalize_text(ans)) for ans in answers]
    return any(has_answer(tokenized, normalize_text(psg)) for psg in passages)


# -- the example/prediction metrics ---------------------------------------------------------
def _answers_of(example: Any) -> list[str]:
    answer = _field(example, "answer", "example")
    if isinstance(answer, str):
        return [answer]
    if isinstance(answer, list):
        if not answer:
            raise InputError("example.answer is an empty list; there is nothing to match against")
        return answer
    raise InputError(f"Invalid answer type: {type(answer)} (example.answer must be a str or a list of str)")


def answer_exact_match(example: Any, pred: Any, trace: Any = None, frac: float = 1.0) -> bool:
    """DSPy's ``answer_exact_match``: EM of ``pred.answer`` against ``example.answer``, or,
    with ``frac < 1``, whether the best F1 reaches ``frac``."""
    answers = _answers_of(example)
    prediction = _field(pred, "answer", "pred")
    if frac >= 1.0:
        return max(em_score(prediction, ans) for ans in answers)
    return max(f1_score(prediction, ans) for ans in answers) >= frac


def answer_passage_match(example: Any, pred: Any, trace: Any = None) -> bool:
    """DSPy's ``answer_passage_match``: whether a passage of ``pred.context`` holds an answer."""
    answers = _answers_of(example)
    context = _field(pred, "context", "pred")
    tokenized = [dpr_tokenize(normalize_text(ans)) for ans in answers]
    return any(has_answer(tokenized, normalize_text(psg)) for psg in context)


def _field(record: Any, name: str, what: str) -> Any:
    if isinstance(record, Mapping):
        if name in record:
            return record[name]
    else:
        try:
            return getattr(record, name)
        except AttributeError:
            pass
    raise InputError(f"{what} has no field {name!r}")


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
