"""``gepa`` through ``dspy.GEPA`` (the ``gepa`` package, which DSPy pins and installs).

GEPA's metric may return text feedback beside the score and takes the predictor it is asked
about: ``metric(gold, pred, trace=None, pred_name=None, pred_trace=None)``. dspex passes a metric
as many of those arguments as it takes (so a plain ``(example, prediction, trace=None)`` metric
works too), gives it dspex's records like every optimizer does, and reads a ``{"score": ...,
"feedback": "..."}`` dict (or a dspex ``Prediction`` with those fields) as GEPA's
``ScoreWithFeedback``. DSPy's asserts on the budget and the reflection LM are checked at create.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import dspy
from dspex_core.backend import Prediction
from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImplementation
from dspex_dspy.optimizers._metric import GuardedMetric

BUDGETS = ("auto", "max_full_evals", "max_metric_calls")
AUTO = ("light", "medium", "heavy")


def _arity(metric: Any) -> int:
    """How many positional arguments ``metric`` takes (5 with ``*args``)."""
    try:
        params = inspect.signature(metric).parameters.values()
    except (TypeError, ValueError):
        return 3
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 5
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


class FeedbackMetric(GuardedMetric):
    """The guarded metric with GEPA's five-argument call (see the module docstring)."""

    def __init__(self, metric: Any, where: dict[int, tuple[str, int, Any]]):
        super().__init__(metric, where)
        self.arity = max(2, min(_arity(metric), 5))

    def __call__(self, gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
                 pred_trace: Any = None) -> Any:
        result = self.call(gold, pred, (trace, pred_name, pred_trace)[:self.arity - 2])
        if isinstance(result, (dict, Prediction)) and "score" in result:
            return dspy.Prediction(score=result["score"], feedback=result.get("feedback"))
        return result


class GEPAImpl(OptimizerImplementation):
    """``dspy.GEPA``: reflective prompt evolution. It runs the program on mini-batches of the
    trainset, shows a reflection LM the traces with the metric's feedback, and keeps the
    instructions it proposes on a Pareto front of valset scores (the trainset when no valset is
    given). create options: ``metric`` (required), ``reflection_lm`` (required unless
    ``instruction_proposer`` is given), exactly one budget of ``auto`` (``"light"``, ``"medium"``,
    ``"heavy"``), ``max_full_evals`` or ``max_metric_calls``, and the rest of DSPy's options
    (``reflection_minibatch_size``, ``candidate_selection_strategy``, ``use_merge``, ``seed``,
    ``num_threads``, ``track_stats``, ...). compile option: ``valset``."""

    module_type = "gepa"
    dspy_class_name = "GEPA"
    bootstraps = False
    tunes_code = True  # a flex module's source is one of the components GEPA evolves

    def guard_metric(self, metric: Any, where: dict[int, tuple[str, int, Any]]) -> Any:
        return FeedbackMetric(metric, where)

    def check_config(self, options: Mapping[str, Any]) -> None:
        given = [name for name in BUDGETS if options.get(name) is not None]
        if len(given) != 1:
            raise InputError(f"gepa needs exactly one budget: auto= ({', '.join(map(repr, AUTO))}), max_full_evals= "
                             f"or max_metric_calls=; got {', '.join(f'{n}={options[n]!r}' for n in given) or 'none'}")
        name = given[0]
        value = options[name]
        if name == "auto" and value not in AUTO:
            raise InputError(f"gepa: auto must be one of {', '.join(map(repr, AUTO))}, got {value!r}")
        if name != "auto" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InputError(f"gepa: {name} must be a positive integer, got {value!r}")
        if options.get("reflection_lm") is None and options.get("instruction_proposer") is None:
            raise InputError("gepa needs reflection_lm= (a dspex.LM, ideally a strong model) to propose new "
                             "instructions, or instruction_proposer= of your own")
        if options.get("track_best_outputs") and not options.get("track_stats"):
            raise InputError("gepa: track_best_outputs=True needs track_stats=True")

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        if options.get("teacher") is not None:
            raise InputError("gepa takes no teacher (dspy.GEPA does not support one)")


implementation = GEPAImpl()
