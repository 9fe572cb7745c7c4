"""The ``signature`` module type: a pipeline step that validates and coerces its inputs.

``dspex.Signature.create("query: str, k: int -> ...")`` makes a step whose ``execute``
returns a :class:`~dspex_core.Prediction` of the signature's input fields converted to their
declared types (rules in :mod:`dspex_native.steps.coerce`): ``{"k": "3"}`` gives ``k=3``.
A missing ``Optional`` input becomes ``None``; any other missing input, an impossible value,
or (with ``strict=True``, the default) an input the signature does not declare is an
:class:`~dspex_core.InputError` that lists every problem at once. With ``strict=False``
undeclared inputs are ignored (left out of the result).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import Prediction, Signature
from dspex_core.errors import InputError


class SignatureStep:
    """The state of one ``signature`` step."""

    __slots__ = ("signature", "strict")

    def __init__(self, signature: Signature, strict: bool):
        self.signature = signature
        self.strict = strict

    def __repr__(self) -> str:
        return f"SignatureStep({self.signature.signature!r}, strict={self.strict})"


class SignatureStepImpl:
    """``create(spec, strict=True)``; ``execute(state, inputs) -> Prediction(**coerced inputs)``."""

    def create(self, spec: Any = None, **options: Any) -> SignatureStep:
        from dspex_native.steps._fields import check_types

        strict = options.pop("strict", True)
        if options:
            raise InputError(f"the signature step got unknown options {sorted(options)}; allowed: strict")
        if not isinstance(strict, bool):
            raise InputError(f"strict must be True or False, got {strict!r}")
        signature = Signature.coerce(spec)
        check_types(signature.input_fields, "signature step")
        return SignatureStep(signature, strict)

    def execute(self, state: SignatureStep, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        from dspex_native.steps._fields import coerce_fields, problem_report

        if options:
            raise InputError(f"the signature step takes no call options, got {sorted(options)}")
        if not isinstance(inputs, Mapping):
            raise InputError(f"inputs must be a mapping of field names to values, got {type(inputs).__name__}")
        fields = state.signature.input_fields
        values, problems = coerce_fields(fields, inputs, "input")
        if state.strict:
            extra = [name for name in inputs if name not in fields]
            if extra:
                problems.append(f"unexpected inputs {extra}; the signature's inputs are {list(fields)} "
                                f"(pass strict=False to ignore others)")
        if problems:
            raise InputError(problem_report(f"signature {state.signature.signature!r}", problems))
        return Prediction(values)

    async def aexecute(self, state: SignatureStep, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return self.execute(state, inputs, **options)

    def describe(self, state: SignatureStep) -> dict[str, Any]:
        fields = state.signature.input_fields
        return {"signature": state.signature.signature, "strict": state.strict,
                "input_fields": list(fields), "output_fields": list(fields),
                "types": {name: f.type_name for name, f in fields.items()}}
