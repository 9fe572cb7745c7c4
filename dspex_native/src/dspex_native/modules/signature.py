"""The ``signature`` module type: a typed Predict, the first step of most pipelines.

``dspex.Signature.create("query: str, k: int -> keywords: list[str]")`` makes a step that

1. checks and converts its inputs to their declared types (rules in
   :mod:`dspex_native.type_coercion.rules`): ``{"k": "3"}`` gives ``k=3``; a missing ``Optional``
   input becomes ``None``; any other missing input, an impossible value, or (with
   ``strict=True``, the default) an input the signature does not declare is an
   :class:`~dspex_core.InputError` listing every problem at once, raised before any LM call; a
   name that misspells an input not given is one even with ``strict=False`` (the core's input
   rule, :mod:`dspex_core.backend.input_rules`, which says "did you mean ...?");
2. asks the LM for the output fields exactly as native ``predict`` does (same prompt, same
   parsing, same options: ``lm``, ``demos``, ``instructions``, ``adapter``, LM settings), on
   the converted inputs;
3. returns a :class:`~dspex_core.Prediction` of the converted inputs followed by the outputs.

A signature without output fields (``"a: int, b: bool ->"``) only checks and converts: it
makes no LM call and needs no LM.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction, Signature, input_rules
from dspex_core.errors import CapabilityError, InputError

from dspex_native import _not_implemented
from dspex_native.predictor import call
from dspex_native.predictor.options import resolve_signature, split_options
from dspex_native.predictor.state import build_state, describe as describe_state
from dspex_native.type_coercion.fields import check_types, coerce_fields, problem_report


class SignatureStep:
    """The state of one ``signature`` step: the signature, ``strict``, and the native predict
    state that asks the LM for the outputs (``None`` when there are no output fields)."""

    __slots__ = ("signature", "strict", "predict")

    def __init__(self, signature: Signature, strict: bool, predict: Any = None):
        self.signature = signature
        self.strict = strict
        self.predict = predict

    def __repr__(self) -> str:
        return f"SignatureStep({self.signature.signature!r}, strict={self.strict})"


def _merge(values: dict[str, Any], outputs: Prediction) -> Prediction:
    """The converted inputs, then the predicted outputs (every completion keeps the inputs)."""
    completions = outputs.completions
    if len(completions) > 1:  # predict keeps completions only when there are several (n > 1)
        merged = Prediction.from_completions([{**values, **c} for c in completions])
    else:
        merged = Prediction({**values, **outputs.toDict()})
    merged.set_lm_usage(outputs.get_lm_usage())
    return merged


class SignatureStepImplementation(Implementation):
    """``create(spec, strict=True, **predict options)``; ``execute(state, inputs, **predict call
    options) -> Prediction(**coerced inputs, **outputs)``."""

    module_type = "signature"
    not_implemented = _not_implemented.PREDICT_STEP

    def create(self, spec: Any = None, **options: Any) -> SignatureStep:
        module_opts, config = split_options("signature", options, frozenset({"strict"}))
        strict = module_opts.pop("strict", True)
        if not isinstance(strict, bool):
            raise InputError(f"strict must be True or False, got {strict!r}")
        signature = resolve_signature(spec, module_opts.get("instructions"), "signature")
        check_types(signature.input_fields, "signature step")
        if not signature.output_fields:
            if module_opts or config:
                raise InputError(f"the signature {signature.signature!r} has no output fields, so the step makes "
                                 f"no LM call; the options {sorted({*module_opts, *config})} do nothing there "
                                 f"(allowed: strict)")
            return SignatureStep(signature, strict)
        return SignatureStep(signature, strict, build_state("signature", signature, module_opts, config))

    def _inputs(self, state: SignatureStep, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        if options and state.predict is None:
            raise InputError(f"the signature step {state.signature.signature!r} has no output fields and takes no "
                             f"call options, got {sorted(options)}")
        if not isinstance(inputs, Mapping):
            raise InputError(f"inputs must be a mapping of field names to values, got {type(inputs).__name__}")
        fields = state.signature.input_fields
        values, problems = coerce_fields(fields, inputs, "input")
        extra = [name for name in inputs if name not in fields]
        if extra:
            # a misspelt input is an error even with strict=False (the core's input rule)
            absent = [name for name in fields if name not in inputs]
            hints = [f"{name!r} (did you mean {hint!r}?)" for name in extra
                     if (hint := input_rules.did_you_mean(name, absent)) is not None]
            if state.strict:
                problems.append(f"unexpected inputs {extra}; the signature's inputs are {list(fields)} "
                                f"(pass strict=False to ignore others)" + (f"; {', '.join(hints)}" if hints else ""))
            elif hints:
                problems.append(f"misspelt inputs {', '.join(hints)}; the signature's inputs are {list(fields)}")
        if problems:
            raise InputError(problem_report(f"signature {state.signature.signature!r}", problems))
        return values

    def execute(self, state: SignatureStep, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        values = self._inputs(state, inputs, options)
        if state.predict is None:
            return Prediction(values)
        return _merge(values, call.execute(state.predict, values, **options))

    def render(self, state: SignatureStep, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The typed predictor's request, without calling the LM (a step with no outputs to
        predict sends none: a CapabilityError says so)."""
        values = self._inputs(state, inputs, options)
        if state.predict is None:
            raise CapabilityError("this signature step predicts nothing (its outputs are all given): it sends no "
                                  "LM request to render")
        return call.render(state.predict, values, **options)

    async def aexecute(self, state: SignatureStep, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        values = self._inputs(state, inputs, options)
        if state.predict is None:
            return Prediction(values)
        return _merge(values, await call.aexecute(state.predict, values, **options))

    def describe(self, state: SignatureStep) -> dict[str, Any]:
        """``inputs``: the fields the step reads; ``outputs``: the fields its Prediction holds (the
        inputs, converted, then the predicted ones); ``input_fields``/``output_fields``: the signature's."""
        sig = state.signature
        info: dict[str, Any] = {}
        if state.predict is not None:
            info = {k: v for k, v in describe_state(state.predict).items() if k in ("demos", "config", "adapter", "lm")}
        return {"signature": sig.signature, "instructions": sig.instructions, "strict": state.strict,
                "inputs": list(sig.input_fields), "outputs": [*sig.input_fields, *sig.output_fields],
                "input_fields": list(sig.input_fields), "output_fields": list(sig.output_fields),
                "types": {name: f.type_name for name, f in sig.fields.items()}, **info}


implementation = SignatureStepImplementation()
