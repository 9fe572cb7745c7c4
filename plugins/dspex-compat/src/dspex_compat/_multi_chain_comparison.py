"""DSPy's ``MultiChainComparison``: M earlier attempts shown to one predictor, which reasons over
them and answers (its inner ``Predict`` is named ``predict``, as DSPy's)."""

from __future__ import annotations

from typing import Any

from dspex_compat._fields import InputField, OutputField
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._signature import ensure_signature

__all__ = ["MultiChainComparison"]


class MultiChainComparison(Module):
    """Compare ``M`` reasoning attempts and give a corrected answer (DSPy's ``dspy.MultiChainComparison``)."""

    def __init__(self, signature: Any, M: int = 3, temperature: float = 0.7, **config: Any):  # noqa: N803
        super().__init__()
        self.M = M
        signature = ensure_signature(signature)
        *_, self.last_key = signature.output_fields.keys()
        for idx in range(M):
            signature = signature.append(f"reasoning_attempt_{idx + 1}", InputField(
                prefix=f"Student Attempt #{idx + 1}:", desc="${reasoning attempt}"))
        signature = signature.prepend("rationale", OutputField(
            prefix="Accurate Reasoning: Thank you everyone. Let's now holistically", desc="${corrected reasoning}"))
        self.predict = Predict(signature, temperature=temperature, **config)

    def _inputs(self, completions: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        attempts = []
        for c in completions:
            rationale = c.get("rationale", c.get("reasoning")).strip().split("\n")[0].strip()
            answer = str(c[self.last_key]).strip().split("\n")[0].strip()
            attempts.append(f"«I'm trying to {rationale} I'm not sure but my prediction is {answer}»")
        assert len(attempts) == self.M, (
            f"The number of attempts ({len(attempts)}) doesn't match the expected number M ({self.M}). Please set "
            "the correct value for M when initializing MultiChainComparison.")
        return {**{f"reasoning_attempt_{i + 1}": a for i, a in enumerate(attempts)}, **kwargs}

    def forward(self, completions: list[Any], **kwargs: Any) -> Any:
        return self.predict(**self._inputs(completions, kwargs))
