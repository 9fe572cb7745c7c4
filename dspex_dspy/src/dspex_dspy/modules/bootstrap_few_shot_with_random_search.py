"""``bootstrap_few_shot_with_random_search`` through ``dspy.BootstrapFewShotWithRandomSearch``."""

from __future__ import annotations

from dspex_dspy.optimizers._base import OptimizerImplementation


class BootstrapFewShotWithRandomSearchImpl(OptimizerImplementation):
    """``dspy.BootstrapFewShotWithRandomSearch``: several bootstrapped demo sets (plus
    zero-shot and labeled-only baselines), each scored on the valset (else the trainset);
    the best wins. create options: ``metric`` (required), ``num_candidate_programs`` (16),
    ``max_bootstrapped_demos``, ``max_labeled_demos``, ``max_rounds``, ``num_threads``,
    ``max_errors``, ``stop_at_score``, ``metric_threshold``, ``teacher_settings``.
    compile options: ``teacher``, ``restrict``, ``labeled_sample``."""

    module_type = "bootstrap_few_shot_with_random_search"
    dspy_class_name = "BootstrapFewShotWithRandomSearch"


implementation = BootstrapFewShotWithRandomSearchImpl()
