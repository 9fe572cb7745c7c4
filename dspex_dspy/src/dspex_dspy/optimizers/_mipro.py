"""``MIPROv2Implementation``: ``dspy.MIPROv2``, which serves both ``mipro_v2`` and ``mipro``.

DSPy 3.4 no longer has the original ``MIPRO`` class (``MIPROv2`` replaced it), so both module
types run ``dspy.MIPROv2`` with the same options and the same checks. The checks
(``dspex_core.backend.mipro_rules``, shared with the native backend) reject, at ``create`` and
before ``compile`` calls the LM, combinations of ``auto``, ``num_candidates``, ``num_trials``,
``minibatch_size`` and the demo limits that DSPy rejects only after bootstrapping demos.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import ModuleRef, mipro_rules
from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImplementation


class MIPROv2Implementation(OptimizerImplementation):
    """``dspy.MIPROv2``: proposes instructions (grounded in the data, the program and
    bootstrapped demos) and demo sets, then searches their combinations with optuna's
    Bayesian optimization. create options: ``metric`` (required), ``auto`` (``"light"``
    default, ``"medium"``, ``"heavy"``, or ``None`` with ``num_candidates``),
    ``num_candidates``, ``prompt_model``, ``task_model``, ``max_bootstrapped_demos``,
    ``max_labeled_demos``, ``num_threads``, ``max_errors``, ``seed``, ``init_temperature``,
    ``verbose``, ``track_stats``, ``log_dir``, ``metric_threshold``, ``teacher_settings``.
    compile options: ``num_trials`` (with ``auto=None``), ``minibatch``, ``minibatch_size``,
    ``minibatch_full_eval_steps``, the proposer switches, ``teacher``, ``seed``, ..."""

    dspy_class_name = "MIPROv2"

    def check_config(self, options: Mapping[str, Any]) -> None:
        mipro_rules.check_config(self.module_type, options)

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        mipro_rules.check_compile(self.module_type, config, options, len(trainset),
                                  len(valset) if valset is not None else None)

    def compile(self, state: str, program_ref: ModuleRef, *, trainset: list[Any], valset: list[Any] | None = None,
                **options: Any) -> ModuleRef:
        try:
            return super().compile(state, program_ref, trainset=trainset, valset=valset, **options)
        except ValueError as exc:
            if type(exc) is ValueError and str(exc) == mipro_rules.EXHAUSTED:
                raise InputError(mipro_rules.EXHAUSTED_MESSAGE.format(module_type=self.module_type)) from None
            raise
