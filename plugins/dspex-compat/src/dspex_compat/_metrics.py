"""DSPy's answer metrics (``dspy.evaluate.metrics``): normalisation, EM, F1, and the
example/prediction metrics ``answer_exact_match`` and ``answer_passage_match``.

The string scores are a few lines each and kept here; passage matching needs DPR's tokenizer,
which dspex's ``metrics`` module type has, so it is asked for it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from typing import Any

__all__ = ["EM", "F1", "HotPotF1", "normalize_text", "em_score", "f1_score", "hotpot_f1_score", "precision_score",
           "answer_exact_match", "answer_passage_match"]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_YES_NO = ("yes", "no", "noanswer")


def normalize_text(s: str) -> str:
    """NFD, lower case, no punctuation, no English articles, single spaces."""
    s = unicodedata.normalize("NFD", s).lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


def _checked(answers_list: Any) -> list[str]:
    if not isinstance(answers_list, list):
        raise ValueError(f"`answers_list` must be a list, got {type(answers_list)}")
    return answers_list


def em_score(prediction: str, ground_truth: str) -> bool:
    return normalize_text(prediction) == normalize_text(ground_truth)


def _overlap(prediction_tokens: list[str], ground_truth_tokens: list[str], what: str) -> int:
    if len(prediction_tokens) == len(ground_truth_tokens) == 0:
        print(f"\n#> {what} Metric: Rare edge case of len(prediction_tokens) == len(ground_truth_tokens) == 0.\n")
    return sum((Counter(prediction_tokens) & Counter(ground_truth_tokens)).values())


def _f1(prediction_tokens: list[str], ground_truth_tokens: list[str], same: int) -> float:
    if same == 0:
        return 0
    precision = 1.0 * same / len(prediction_tokens)
    recall = 1.0 * same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def f1_score(prediction: str, ground_truth: str) -> float:
    pred, truth = normalize_text(prediction).split(), normalize_text(ground_truth).split()
    return _f1(pred, truth, _overlap(pred, truth, "F1"))


def hotpot_f1_score(prediction: str, ground_truth: str) -> float:
    pred, truth = normalize_text(prediction), normalize_text(ground_truth)
    if (pred in _YES_NO or truth in _YES_NO) and pred != truth:
        return 0
    pred_tokens, truth_tokens = pred.split(), truth.split()
    return _f1(pred_tokens, truth_tokens, sum((Counter(pred_tokens) & Counter(truth_tokens)).values()))


def precision_score(prediction: str, ground_truth: str) -> float:
    pred, truth = normalize_text(prediction).split(), normalize_text(ground_truth).split()
    same = _overlap(pred, truth, "Precision")
    return 0 if same == 0 else 1.0 * same / len(pred)


def EM(prediction: str, answers_list: list[str]) -> bool:  # noqa: N802 - DSPy's name
    """Whether any reference equals the prediction after :func:`normalize_text`."""
    return max(em_score(prediction, ans) for ans in _checked(answers_list))


def F1(prediction: str, answers_list: list[str]) -> float:  # noqa: N802
    """The best token F1 of the prediction against the references."""
    return max(f1_score(prediction, ans) for ans in _checked(answers_list))


def HotPotF1(prediction: str, answers_list: list[str]) -> float:  # noqa: N802
    """:func:`F1`, except that yes/no/noanswer must match exactly."""
    return max(hotpot_f1_score(prediction, ans) for ans in _checked(answers_list))


def _answers(example: Any) -> list[str]:
    if isinstance(example.answer, str):
        return [example.answer]
    if isinstance(example.answer, list):
        return example.answer
    raise ValueError(f"Invalid answer type: {type(example.answer)}")


def answer_exact_match(example: Any, pred: Any, trace: Any = None, frac: float = 1.0) -> bool:
    """EM of ``pred.answer`` against ``example.answer`` (a str or a list), or, with ``frac < 1``,
    whether the best F1 reaches ``frac``."""
    answers = _answers(example)
    if frac >= 1.0:
        return EM(pred.answer, answers)
    return F1(pred.answer, answers) >= frac


_passage_matcher: list[Any] = []


def answer_passage_match(example: Any, pred: Any, trace: Any = None) -> bool:
    """Whether a passage of ``pred.context`` contains one of ``example.answer`` (DPR tokens)."""
    answers = _answers(example)
    if not _passage_matcher:
        import dspex_core

        _passage_matcher.append(dspex_core.create("metrics", "passage_match"))
    return _passage_matcher[0](passages=list(pred.context), answers=list(answers)).score
