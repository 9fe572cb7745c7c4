"""The native ``chain_of_thought`` module type: DSPy's ``ChainOfThought``.

DSPy prepends an output field ``reasoning`` (description ``${reasoning}``, type ``str``) to
the signature and keeps the signature's original instructions, even the default sentence
that does not mention ``reasoning``; the rest is ``predict``. The field's name is the
module-type table's ``extra_outputs`` for ``chain_of_thought``.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import OutputField, Signature, cleandoc, module_type
from dspex_core.errors import InputError

from dspex_native.modules.predict import PredictImplementation
from dspex_native.predictor.options import resolve_signature

(REASONING,) = module_type("chain_of_thought").extra_outputs


def with_reasoning(signature: Signature) -> Signature:
    """DSPy's extended signature: ``reasoning`` first among the outputs, instructions unchanged."""
    if REASONING in signature.output_fields or REASONING in signature.input_fields:
        raise InputError(f"chain_of_thought adds a {REASONING!r} output field; the signature already has one")
    extended = signature.prepend(REASONING, OutputField(desc=f"${{{REASONING}}}"), str)
    cleaned = cleandoc(signature.instructions)
    if not cleaned:
        # DSPy passes the (cleaned, empty) instructions on; an empty text means "default",
        # which DSPy then computes from the extended fields.
        return Signature.from_fields(extended.input_fields, extended.output_fields, None)
    return extended.with_instructions(cleaned)  # cleaned again when read, as DSPy's are


class ChainOfThoughtImplementation(PredictImplementation):
    """``chain_of_thought``: ``predict`` on the signature extended with ``reasoning``."""

    module_type = "chain_of_thought"

    def _signature(self, spec: Any, instructions: Any) -> Signature:
        return with_reasoning(resolve_signature(spec, instructions, self.module_type))


implementation = ChainOfThoughtImplementation()
