"""The native ``bootstrap_few_shot_with_random_search``: DSPy's ``BootstrapFewShotWithRandomSearch``.

Zero-shot, labeled-only, unshuffled and seeded bootstrapped candidates, each scored on the valset
(else the trainset) by the native ``evaluate`` with ``num_threads`` threads; the best wins. The
algorithm is :mod:`dspex_native.optimizers.random_search`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_native import _not_implemented
from dspex_native.optimizers.bootstrap import DEFAULT_MAX_ERRORS, check_bootstrap_config
from dspex_native.optimizers.implementation import OptimizerImplementation, check_count
from dspex_native.optimizers.program import Program
from dspex_native.optimizers.random_search import RandomSearchConfig, random_search
from dspex_native.optimizers.scoring import evaluate_state

INIT_DEFAULTS = {"metric": None, "teacher_settings": None, "max_bootstrapped_demos": 4, "max_labeled_demos": 16,
                 "max_rounds": 1, "num_candidate_programs": 16, "num_threads": None, "max_errors": None,
                 "stop_at_score": None, "metric_threshold": None}


class RandomSearchImplementation(OptimizerImplementation):
    """``create(metric, ..., num_candidate_programs=16, num_threads=None, stop_at_score=None)``;
    compile options ``teacher``, ``restrict``, ``labeled_sample``; ``valset=`` optional."""

    module_type = "bootstrap_few_shot_with_random_search"
    dspy_class_name = "BootstrapFewShotWithRandomSearch"
    init_defaults = INIT_DEFAULTS
    compile_defaults = {"teacher": None, "restrict": None, "labeled_sample": True}
    metric_required = True
    takes_valset = True
    not_implemented = (_not_implemented.TEACHER_SETTINGS, _not_implemented.FOREIGN_PROGRAM)

    def check_config(self, config: dict[str, Any]) -> None:
        check_bootstrap_config(self.module_type, config)
        check_count(self.module_type, config, "num_candidate_programs")
        if config["max_bootstrapped_demos"] < 1 and config["num_candidate_programs"] > 0:
            raise InputError(f"{self.module_type}: max_bootstrapped_demos must be at least 1 (seeded candidates draw "
                             f"between 1 and max_bootstrapped_demos demos)")
        if config.get("num_threads") is not None:
            check_count(self.module_type, config, "num_threads", 1)

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        def score(state: Any, devset: list[Any]) -> Any:
            return evaluate_state(student, state, devset, config["metric"], num_threads=config["num_threads"],
                                  max_errors=_max_errors(config))

        return random_search(RandomSearchConfig(**config), student, teacher, trainset, valset, lm,
                             options["restrict"], bool(options["labeled_sample"]), score)


def _max_errors(config: Mapping[str, Any]) -> int:
    return config["max_errors"] if config["max_errors"] is not None else DEFAULT_MAX_ERRORS


implementation = RandomSearchImplementation()
