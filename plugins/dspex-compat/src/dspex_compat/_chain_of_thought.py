"""DSPy's ``ChainOfThought``: a ``Predict`` whose signature starts its outputs with ``reasoning``.

Built as DSPy builds it (the inner predictor is named ``predict``), so prompts, saved state and
optimizers see the same program; the inner ``Predict`` is the dspex reference.
"""

from __future__ import annotations

from typing import Any

from dspex_compat._fields import OutputField
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._signature import ensure_signature

__all__ = ["ChainOfThought"]


class ChainOfThought(Module):
    """Reason step by step, then answer (DSPy's ``dspy.ChainOfThought``)."""

    def __init__(self, signature: Any, rationale_field: Any = None, rationale_field_type: type = str, **config: Any):
        super().__init__()
        signature = ensure_signature(signature)
        rationale_field_type = rationale_field.annotation if rationale_field else rationale_field_type
        rationale_field = rationale_field if rationale_field else OutputField(desc="${reasoning}")
        extended = signature.prepend(name="reasoning", field=rationale_field, type_=rationale_field_type)
        self.predict = Predict(extended, **config)

    def forward(self, **kwargs: Any) -> Any:
        return self.predict(**kwargs)

    async def aforward(self, **kwargs: Any) -> Any:
        return await self.predict.acall(**kwargs)
