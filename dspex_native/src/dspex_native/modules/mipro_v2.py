"""The native ``mipro_v2``: DSPy's ``MIPROv2`` (instructions and demo sets searched with optuna).

Demo sets are bootstrapped as DSPy's random search makes them, instructions are proposed by
DSPy's grounded proposer (a summary of the data, the program, its demos and a tip), and optuna's
TPE sampler, seeded, searches their combinations on the valset (minibatches with full
evaluations in between). The requests, random draws, trial sequence and compiled program (its
saved JSON) are DSPy 3.4's; the algorithm is :mod:`dspex_native.optimizers.mipro`. optuna comes
with ``pip install 'dspex-native[optimizers]'`` and is imported only when a compile runs.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import mipro_rules
from dspex_core.config import context as settings_context
from dspex_core.errors import InputError

from dspex_native import _not_implemented
from dspex_native.optimizers.bootstrap import DEFAULT_MAX_ERRORS, check_bootstrap_config
from dspex_native.optimizers.implementation import OptimizerImplementation
from dspex_native.optimizers.mipro import mipro
from dspex_native.optimizers.program import Program
from dspex_native.optimizers.scoring import evaluate_state


class MIPROv2Implementation(OptimizerImplementation):
    """``create(metric, auto="light", num_candidates=None, prompt_model=None, task_model=None,
    max_bootstrapped_demos=4, max_labeled_demos=4, seed=9, init_temperature=1.0, ...)``; compile
    options ``num_trials`` (with ``auto=None``), ``minibatch``, ``minibatch_size``,
    ``minibatch_full_eval_steps``, the proposer switches, ``teacher``, ``seed``; ``valset=``
    optional (else the last 80% of the trainset)."""

    module_type = "mipro_v2"
    dspy_class_name = "MIPROv2"
    init_defaults = mipro_rules.INIT_DEFAULTS
    compile_defaults = mipro_rules.COMPILE_DEFAULTS
    metric_required = True
    takes_valset = True
    not_implemented = (_not_implemented.TEACHER_SETTINGS, _not_implemented.FOREIGN_PROGRAM,
                       _not_implemented.WITHOUT_OPTUNA)

    def check_config(self, config: dict[str, Any]) -> None:
        mipro_rules.check_config(self.module_type, config)
        check_bootstrap_config(self.module_type, {**config, "max_rounds": 1})

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        mipro_rules.check_compile(self.module_type, config, options, len(trainset),
                                  len(valset) if valset is not None else None)
        task_lm = student.lm if student.lm is not None else (config["task_model"] or lm)
        prompt_lm = config["prompt_model"] or lm
        if prompt_lm is None or task_lm is None:
            raise InputError(f"{self.module_type}: give both prompt_model= and task_model=, or configure an LM "
                             f"(dspex.configure(lm=...)) or create the program with lm=")
        max_errors = config["max_errors"] if config["max_errors"] is not None else DEFAULT_MAX_ERRORS
        evaluate_options = {"num_threads": config["num_threads"], "max_errors": max_errors,
                            "provide_traceback": options["provide_traceback"]}

        def score(state: Any, devset: list[Any]) -> Any:
            with settings_context(lm=task_lm):
                return evaluate_state(student, state, devset, config["metric"], **evaluate_options).score

        with settings_context(lm=task_lm):
            state = mipro(self.module_type, config, options, student, teacher, trainset, valset, task_lm, prompt_lm, score)
        return state, False


implementation = MIPROv2Implementation()
