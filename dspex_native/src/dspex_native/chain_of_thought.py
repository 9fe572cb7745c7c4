"""The native ``chain_of_thought`` module type: DSPy's ``ChainOfThought``.

DSPy prepends an output field ``reasoning`` (description ``${reasoning}``, type ``str``) to
the signature and keeps the signature's original instructions, even the default sentence
that does not mention ``reasoning``; the rest is ``predict``.
"""

from __future__ import annotations

from typing import Any

from dspex_core._signature import OutputField, Signature
from dspex_core.errors import InputError

from dspex_native.adapters._chat import _cleandoc
from dspex_native.predict import PredictImplementation, resolve_signature


def with_reasoning(signature: Signature) -> Signature:
    """DSPy's extended signature: ``reasoning`` first among the outputs, instructions unchanged."""
    if "reasoning" in signature.output_fields or "reasoning" in signature.input_fields:
        raise InputError("chain_of_thought adds a 'reasoning' output field; the signature already has one")
    extended = signature.prepend("reasoning", OutputField(desc="${reasoning}"), str)
    if not _cleandoc(signature.instructions):
        # DSPy passes the (cleaned, empty) instructions on; an empty text means "default",
        # which DSPy then computes from the extended fields.
        return Signature._make(dict(extended.input_fields), dict(extended.output_fields), None)
    return extended.with_instructions(signature.instructions)


class ChainOfThoughtImplementation(PredictImplementation):
    """``chain_of_thought``: ``predict`` on the signature extended with ``reasoning``."""

    module_type = "chain_of_thought"

    def _signature(self, spec: Any, instructions: Any) -> Signature:
        return with_reasoning(resolve_signature(spec, instructions, self.module_type))


chain_of_thought = ChainOfThoughtImplementation()


def load_state(spec: Any, state_dict: Any, **options: Any) -> Any:
    """A native ``chain_of_thought`` module for ``spec`` (the signature *without* ``reasoning``)
    with a ``dspy.ChainOfThought``'s saved state (``{"predict": {...}}``) applied."""
    return chain_of_thought.load_state(spec, state_dict, **options)
