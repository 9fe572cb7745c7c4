"""The create options every signature-based module type shares: the signature, ``instructions=``
and ``demos=``.

``predict``, ``chain_of_thought``, ``react``, ``program_of_thought`` and
``multi_chain_comparison`` all take a signature (a string, a dspex or a dspy signature) whose
instructions ``instructions=`` replaces, and demos that every predictor of the built dspy module
gets, as DSPy's ``LabeledFewShot`` gives them; building both the same way keeps the prompts of
every module type in step with plain dspy.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy.translate import coerce_signature, to_dspy_demos, to_dspy_signature


def build_signature(spec: Any, instructions: str | None) -> type:
    """The dspy signature for a module: ``spec`` with ``instructions`` if given."""
    if spec is None:
        raise InputError("this module type needs a signature, e.g. 'question -> answer'")
    if instructions is not None and not isinstance(instructions, str):
        raise InputError(f"instructions must be a string, got {type(instructions).__name__}")
    if isinstance(spec, dspy.Signature):
        spec = type(spec)  # an instance of a dspy signature: its class is the signature
    if isinstance(spec, type) and issubclass(spec, dspy.Signature):
        # the user's own class, as plain dspy would use it (every pydantic detail kept); read by the
        # core first so that a class dspex cannot take fails here as it does on every backend
        coerce_signature(spec)
        return spec if instructions is None else spec.with_instructions(instructions)
    sig = coerce_signature(spec)
    if instructions is not None:
        sig = sig.with_instructions(instructions)
    return to_dspy_signature(sig)


def set_demos(module: Any, demos: Any) -> None:
    """Give every predictor of ``module`` the demos (as DSPy's LabeledFewShot does)."""
    converted = to_dspy_demos(demos)
    for _, predictor in module.named_predictors():
        predictor.demos = list(converted)
