"""The native ``labeled_few_shot``: DSPy's ``LabeledFewShot(k=16)``.

Every predictor of the program gets up to ``k`` trainset examples as demos, drawn with
``random.Random(0)`` (``sample=False`` takes the first ``k``). It takes no metric and makes no
LM call.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.demo_rules import labeled
from dspex_native.optimizers.implementation import OptimizerImplementation, check_count
from dspex_native.optimizers.program import Program


class LabeledFewShotImplementation(OptimizerImplementation):
    """``create(k=16)``; ``dspex.compile(optimizer, program, trainset=[...], sample=True)``."""

    module_type = "labeled_few_shot"
    dspy_class_name = "LabeledFewShot"
    init_defaults = {"k": 16}
    compile_defaults = {"sample": True}
    bootstraps = False
    needs_lm = False

    def check_config(self, config: dict[str, Any]) -> None:
        check_count(self.module_type, config, "k")

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        demos = labeled(student.predictor_names(), trainset, config["k"], bool(options["sample"]))
        return student.with_demos(demos), False


implementation = LabeledFewShotImplementation()
