"""ProgramOfThought's three signatures, built from the module's signature as DSPy 3.4 builds them.

* ``generate``: the inputs, then ``generated_code``;
* ``regenerate``: the inputs, ``previous_code`` and ``error``, then ``generated_code``;
* ``answer``: the inputs, ``final_generated_code`` and ``code_output``, then the outputs.

The added fields are ``str`` with DSPy's descriptions. Each step's instructions name its
fields; every step is then a ChainOfThought, which puts ``reasoning`` first among the outputs.
DSPy adds a step's fields to a copy of the inputs with ``dict.update``, so a field of the
module's own with one of those names would be silently replaced in some step (an input
``error`` is overwritten by the code's error, an output ``code_output`` hides the code's
output from the answer step): :func:`check_names` refuses such signatures instead, as
native ``chain_of_thought`` refuses a field named ``reasoning``.
"""

from __future__ import annotations

from dspex_core.backend import Field, Signature, module_type
from dspex_core.errors import InputError

(REASONING,) = module_type("chain_of_thought").extra_outputs
GENERATED_CODE = "generated_code"
PREVIOUS_CODE = "previous_code"
ERROR = "error"
FINAL_CODE = "final_generated_code"
CODE_OUTPUT = "code_output"

_CODE_DESC = "python code that answers the question"
_PREVIOUS_DESC = "previously-generated python code that errored"
_ERROR_DESC = "error message from previously-generated python code"
_OUTPUT_DESC = "output of previously-generated python code"

MODES = ("generate", "regenerate", "answer")


def _field(name: str, kind: str, desc: str) -> Field:
    return Field(name, kind, str, desc, None, True)


def _fields(signature: Signature, mode: str) -> dict[str, Field]:
    fields = dict(signature.input_fields)
    if mode == "generate":
        fields.update({GENERATED_CODE: _field(GENERATED_CODE, "output", _CODE_DESC)})
    elif mode == "regenerate":
        fields.update({PREVIOUS_CODE: _field(PREVIOUS_CODE, "input", _PREVIOUS_DESC),
                       ERROR: _field(ERROR, "input", _ERROR_DESC),
                       GENERATED_CODE: _field(GENERATED_CODE, "output", _CODE_DESC)})
    else:
        fields.update({FINAL_CODE: _field(FINAL_CODE, "input", _CODE_DESC),
                       CODE_OUTPUT: _field(CODE_OUTPUT, "input", _OUTPUT_DESC),
                       **signature.output_fields})
    return fields


def _names(fields: dict[str, Field], kind: str) -> str:
    return ", ".join(f"`{name}`" for name, field in fields.items() if field.kind == kind)


def _instructions(signature: Signature, mode: str, fields: dict[str, Field]) -> str:
    inputs, outputs = _names(fields, "input"), _names(fields, "output")
    if mode == "generate":
        final = ", ".join(f"`{name}`" for name in signature.output_fields)
        lines = [
            f"You will be given {inputs} and you will respond with {outputs}.",
            f"Generating executable Python code that programmatically computes the correct {outputs}.",
            "After you're done with the computation and think you have the final output, make sure to submit your "
            "output by calling the preloaded function `SUBMIT()`.",
            f'You must structure your output in a dict, like {{"field_a": value_a, ...}}, with the correct value '
            f"mapping for the field(s): {final}.",
        ]
    elif mode == "regenerate":
        lines = [f"You are given {inputs} due to an error in previous code.",
                 f"Your task is to correct the error and provide the new `{GENERATED_CODE}`."]
    else:
        lines = [f"Given the final code {inputs}, provide the final {outputs}."]
    return "\n".join(lines)


#: Names a module's inputs cannot have (a step would replace them), and its outputs.
RESERVED_INPUTS = (REASONING, GENERATED_CODE, PREVIOUS_CODE, ERROR, FINAL_CODE, CODE_OUTPUT)
RESERVED_OUTPUTS = (REASONING, FINAL_CODE, CODE_OUTPUT)


def check_names(signature: Signature) -> None:
    """Refuse fields a step would replace (see the module docstring), naming them."""
    clashes = [f"input {name!r}" for name in signature.input_fields if name in RESERVED_INPUTS]
    clashes += [f"output {name!r}" for name in signature.output_fields if name in RESERVED_OUTPUTS]
    if clashes:
        raise InputError(f"program_of_thought: the signature's {', '.join(clashes)} would be replaced by a field of "
                         f"its own steps, which use {', '.join(RESERVED_INPUTS)} (outputs may be named "
                         f"{GENERATED_CODE}, {PREVIOUS_CODE} or {ERROR}); rename the field(s)")


def step_signature(signature: Signature, mode: str) -> Signature:
    """The ChainOfThought signature of one step (``mode`` is one of :data:`MODES`) for a
    signature :func:`check_names` accepted."""
    fields = _fields(signature, mode)
    inputs = {name: field for name, field in fields.items() if field.kind == "input"}
    outputs = {REASONING: Field(REASONING, "output", str, f"${{{REASONING}}}", None, True)}
    outputs.update((name, field) for name, field in fields.items() if field.kind == "output")
    return Signature.from_fields(inputs, outputs, _instructions(signature, mode, fields))
