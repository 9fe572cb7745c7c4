"""``labeled_few_shot`` through ``dspy.LabeledFewShot``."""

from __future__ import annotations

from dspex_dspy.optimizers._base import OptimizerImplementation


class LabeledFewShotImpl(OptimizerImplementation):
    """``dspy.LabeledFewShot(k=16)``: the program's demos become (up to ``k``) trainset
    examples, sampled with a fixed seed. It takes no metric (DSPy's takes none).
    compile option: ``sample`` (default ``True``; ``False`` takes the first ``k``)."""

    module_type = "labeled_few_shot"
    dspy_class_name = "LabeledFewShot"
    metric_required = False
    bootstraps = False


implementation = LabeledFewShotImpl()
