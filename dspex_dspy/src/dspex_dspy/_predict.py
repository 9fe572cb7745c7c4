"""``predict`` and ``chain_of_thought`` through ``dspy.Predict`` / ``dspy.ChainOfThought``."""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy.translate import coerce_signature, to_dspy_demos, to_dspy_signature

#: Request settings ``create`` accepts and passes to dspy as the predictor's config.
LM_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "num_generations", "response_format",
})


def build_signature(spec: Any, instructions: str | None) -> type:
    """The dspy signature for a module: ``spec`` with ``instructions`` if given."""
    if spec is None:
        raise InputError("this module type needs a signature, e.g. 'question -> answer'")
    sig = coerce_signature(spec)
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InputError(f"instructions must be a string, got {type(instructions).__name__}")
        sig = sig.with_instructions(instructions)
    return to_dspy_signature(sig)


def set_demos(module: Any, demos: Any) -> None:
    """Give every predictor of ``module`` the demos (as DSPy's LabeledFewShot does)."""
    converted = to_dspy_demos(demos)
    for _, predictor in module.named_predictors():
        predictor.demos = list(converted)


class PredictImpl(DspyImplementation):
    """``dspy.Predict``: create options ``demos``, ``instructions``, ``adapter``, LM settings."""

    module_type = "predict"
    create_options = frozenset({"demos", "instructions"}) | LM_SETTINGS

    def build(self, spec: Any, *, demos: Any = None, instructions: str | None = None, **config: Any) -> Any:
        module = dspy.Predict(build_signature(spec, instructions), **config)
        if demos is not None:
            set_demos(module, demos)
        return module


class ChainOfThoughtImpl(PredictImpl):
    """``dspy.ChainOfThought``: a ``reasoning`` output field before the others."""

    module_type = "chain_of_thought"

    def create(self, spec: Any, **options: Any) -> str:
        unsupported = sorted({"rationale_field", "rationale_field_desc", "rationale_field_type"} & set(options))
        if unsupported:
            raise InputError(f"chain_of_thought does not support {', '.join(unsupported)} (the reasoning field is "
                             f"always `reasoning`, as in DSPy 3)")
        return super().create(spec, **options)

    def build(self, spec: Any, *, demos: Any = None, instructions: str | None = None, **config: Any) -> Any:
        module = dspy.ChainOfThought(build_signature(spec, instructions), **config)
        if demos is not None:
            set_demos(module, demos)
        return module
