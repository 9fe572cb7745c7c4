"""The native ``bootstrap_few_shot``: DSPy's ``BootstrapFewShot``.

The program (as its own teacher, or ``teacher=``) runs on the trainset; the traces the metric
accepts become augmented demos, topped up with labeled examples. The requests, the random draws
and the compiled program (its saved JSON) are DSPy 3.4's; the algorithm is
:mod:`dspex_native.optimizers.bootstrap`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_native import _not_implemented
from dspex_native.optimizers.bootstrap import BootstrapConfig, bootstrap_few_shot, check_bootstrap_config
from dspex_native.optimizers.implementation import OptimizerImplementation
from dspex_native.optimizers.program import Program

INIT_DEFAULTS = {"metric": None, "metric_threshold": None, "teacher_settings": None, "max_bootstrapped_demos": 4,
                 "max_labeled_demos": 16, "max_rounds": 1, "max_errors": None}


class BootstrapFewShotImplementation(OptimizerImplementation):
    """``create(metric=None, metric_threshold=None, teacher_settings=None, max_bootstrapped_demos=4,
    max_labeled_demos=16, max_rounds=1, max_errors=None)``; compile option ``teacher``."""

    module_type = "bootstrap_few_shot"
    dspy_class_name = "BootstrapFewShot"
    init_defaults = INIT_DEFAULTS
    compile_defaults = {"teacher": None}
    not_implemented = (_not_implemented.TEACHER_SETTINGS, _not_implemented.FOREIGN_PROGRAM)

    def check_config(self, config: dict[str, Any]) -> None:
        check_bootstrap_config(self.module_type, config)

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        return bootstrap_few_shot(BootstrapConfig(**config), student, teacher, trainset, lm), True


implementation = BootstrapFewShotImplementation()
