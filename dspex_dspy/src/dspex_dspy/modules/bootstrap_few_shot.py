"""``bootstrap_few_shot`` through ``dspy.BootstrapFewShot``."""

from __future__ import annotations

from dspex_dspy.optimizers._base import OptimizerImplementation


class BootstrapFewShotImpl(OptimizerImplementation):
    """``dspy.BootstrapFewShot``: runs the program (as teacher) on the trainset and keeps
    the traces the metric accepts as demos, topped up with labeled examples.
    create options: ``metric`` (optional: without one every trace is kept),
    ``metric_threshold``, ``teacher_settings``, ``max_bootstrapped_demos`` (4),
    ``max_labeled_demos`` (16), ``max_rounds`` (1), ``max_errors``.
    compile option: ``teacher`` (a ``ModuleRef`` with the same structure)."""

    module_type = "bootstrap_few_shot"
    dspy_class_name = "BootstrapFewShot"
    metric_required = False


implementation = BootstrapFewShotImpl()
