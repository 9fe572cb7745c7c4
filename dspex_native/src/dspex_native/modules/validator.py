"""The ``validator`` module type: check values against a signature's types, all at once.

``execute`` returns ``Prediction(valid=bool, errors=[...])`` with one message per problem
(a missing field, a value that does not fit its type), naming the field, the expected type
and the value. The type rules are the signature step's (:mod:`dspex_native.type_coercion.rules`):
a value is valid when the step would accept it, so ``"3"`` is a valid ``int``. A missing
``Optional`` field is valid; values for fields outside the checked ones are ignored.
``raise_on_error=True`` (at create or per call) raises :class:`~dspex_core.InputError`
listing every problem instead.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction, Signature
from dspex_core.errors import InputError

from dspex_native import _not_implemented
from dspex_native.type_coercion.fields import check_types, coerce_fields, problem_report

_WHICH = ("outputs", "inputs", "all")


class ValidatorState:
    """The state of one ``validator``: the signature, which fields, and whether to raise."""

    __slots__ = ("signature", "fields", "which", "raise_on_error")

    def __init__(self, signature: Signature, which: str, raise_on_error: bool):
        self.signature = signature
        self.which = which
        self.raise_on_error = raise_on_error
        if which == "outputs":
            self.fields = signature.output_fields
        elif which == "inputs":
            self.fields = signature.input_fields
        else:
            self.fields = signature.fields

    def __repr__(self) -> str:
        return f"ValidatorState({self.signature.signature!r}, fields={self.which!r})"


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False, got {value!r}")
    return value


class ValidatorImplementation(Implementation):
    """``create(spec, fields="outputs", raise_on_error=False)``; ``execute(state, values)``."""

    module_type = "validator"
    not_implemented = _not_implemented.VALIDATOR

    def create(self, spec: Any = None, **options: Any) -> ValidatorState:
        which = options.pop("fields", "outputs")
        raise_on_error = _flag(options.pop("raise_on_error", False), "raise_on_error")
        if options:
            raise InputError(f"the validator got unknown options {sorted(options)}; allowed: fields, raise_on_error")
        if which not in _WHICH:
            raise InputError(f"fields must be one of {list(_WHICH)}, got {which!r}")
        state = ValidatorState(Signature.coerce(spec), which, raise_on_error)
        check_types(state.fields, "validator")
        return state

    def execute(self, state: ValidatorState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        raise_on_error = _flag(options.pop("raise_on_error", state.raise_on_error), "raise_on_error")
        if options:
            raise InputError(f"the validator takes only raise_on_error= as a call option, got {sorted(options)}")
        if not isinstance(inputs, Mapping):
            raise InputError(f"values must be a mapping of field names to values, got {type(inputs).__name__}")
        _, problems = coerce_fields(state.fields, inputs, "field")
        if problems and raise_on_error:
            raise InputError(problem_report(f"validation against {state.signature.signature!r} failed", problems))
        return Prediction(valid=not problems, errors=problems)

    async def aexecute(self, state: ValidatorState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return self.execute(state, inputs, **options)

    def describe(self, state: ValidatorState) -> dict[str, Any]:
        return {"signature": state.signature.signature, "fields": state.which,
                "input_fields": list(state.fields), "output_fields": ["valid", "errors"],
                "raise_on_error": state.raise_on_error}


implementation = ValidatorImplementation()
