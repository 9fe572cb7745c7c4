"""``chain_of_thought`` through ``dspy.ChainOfThought``: a ``reasoning`` output field before the others."""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError

from dspex_dspy._predictor import PredictorImplementation


class ChainOfThoughtImpl(PredictorImplementation):
    """``dspy.ChainOfThought``: ``predict``'s options; the reasoning field cannot be renamed."""

    module_type = "chain_of_thought"
    dspy_class_name = "ChainOfThought"

    def create(self, spec: Any, **options: Any) -> str:
        unsupported = sorted({"rationale_field", "rationale_field_desc", "rationale_field_type"} & set(options))
        if unsupported:
            raise InputError(f"chain_of_thought does not support {', '.join(unsupported)} (the reasoning field is "
                             f"always `reasoning`, as in DSPy 3)")
        return super().create(spec, **options)


implementation = ChainOfThoughtImpl()
