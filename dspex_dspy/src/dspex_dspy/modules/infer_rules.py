"""``infer_rules`` through ``dspy.InferRules``.

``dspy.InferRules`` is a ``BootstrapFewShot`` that passes the rest of its options on to it, so
the options offered are its own and ``BootstrapFewShot``'s.
"""

from __future__ import annotations

from typing import Any

import dspy

from dspex_dspy.optimizers._base import OptimizerImplementation
from dspex_dspy.optimizers._options import parameter_names


class InferRulesImpl(OptimizerImplementation):
    """``dspy.InferRules``: bootstraps demos as ``BootstrapFewShot`` does, then ``num_candidates``
    times asks the LM for ``num_rules`` natural-language rules that the demos follow, appends them
    to each predictor's instructions, and keeps the candidate that scores best on the valset (half
    the trainset when no valset is given). create options: ``metric`` (required), ``num_candidates``
    (10), ``num_rules`` (10), ``num_threads``, ``teacher_settings`` and ``BootstrapFewShot``'s
    (``max_bootstrapped_demos``, ``max_labeled_demos``, ``max_rounds``, ``max_errors``,
    ``metric_threshold``). compile options: ``teacher``; ``valset``."""

    module_type = "infer_rules"
    dspy_class_name = "InferRules"

    def init_options(self) -> tuple[str, ...]:
        own = super().init_options()
        return own + tuple(name for name in parameter_names(dspy.BootstrapFewShot.__init__) if name not in own)

    def run_compile(self, optimizer: Any, student: Any, sets: dict[str, Any], options: dict[str, Any],
                    lm: Any) -> Any:
        # InferRules writes the rules into ``predictor.signature.instructions``: a class attribute of
        # the signature class, which dspy's deepcopy shares with the user's program. Each predictor
        # of the private copy gets a signature class of its own first.
        for predictor in student.module.predictors():
            predictor.signature = predictor.signature.with_instructions(predictor.signature.instructions)
        return super().run_compile(optimizer, student, sets, options, lm)


implementation = InferRulesImpl()
