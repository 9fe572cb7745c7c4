"""DSPy's optimizers as dspex module types, served by the dspy backend.

``dspex.BootstrapFewShot.create(metric=fn, max_bootstrapped_demos=2)`` makes an optimizer;
``dspex.compile(optimizer, program, trainset=[...], valset=None)`` returns a *new*
``ModuleRef`` for the compiled program (demos and instructions in ``ref.describe()``,
``ref.save(path)`` in dspy's JSON format). Options are DSPy's own; an unknown one is an
``InputError`` listing the valid ones.

Served: ``labeled_few_shot``, ``bootstrap_few_shot``,
``bootstrap_few_shot_with_random_search``, ``copro``, ``mipro_v2`` and ``mipro`` (DSPy 3.4
has no ``MIPRO`` class any more; ``mipro`` runs ``dspy.MIPROv2``).
"""

from __future__ import annotations

from dspex_dspy.optimizers._base import OptimizerImpl
from dspex_dspy.optimizers._impls import (
    BootstrapFewShotImpl,
    BootstrapFewShotWithRandomSearchImpl,
    COPROImpl,
    LabeledFewShotImpl,
    MIPROImpl,
    MIPROv2Impl,
)
from dspex_dspy.optimizers._metric import MetricError
from dspex_dspy.optimizers._program import OPTIMIZER_TYPES

__all__ = [
    "OptimizerImpl", "LabeledFewShotImpl", "BootstrapFewShotImpl", "BootstrapFewShotWithRandomSearchImpl",
    "COPROImpl", "MIPROv2Impl", "MIPROImpl", "MetricError", "OPTIMIZER_TYPES",
]
