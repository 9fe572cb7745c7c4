"""The native ``multi_chain_comparison`` module type: DSPy's ``MultiChainComparison``.

DSPy's module is one ``Predict`` (named ``predict``, with ``temperature`` as its config) on the
signature extended with ``M`` inputs ``reasoning_attempt_1..M`` (prefix ``Student Attempt #i:``,
description ``${reasoning attempt}``) and, first among the outputs, ``rationale`` (prefix
``Accurate Reasoning: Thank you everyone. Let's now holistically``, description
``${corrected reasoning}``); the signature keeps its own instructions. A call gets ``M``
completions (predictions or dicts with ``reasoning`` or ``rationale`` and the signature's last
output) and shows each as ``«I'm trying to <its first reasoning line> I'm not sure but my
prediction is <its first answer line>»``. The rest is native ``predict``.

The create options, call options and messages for bad input are the dspy backend's
(``M``, ``temperature``, ``instructions``, ``demos``, ``lm``, ``adapter``; a call takes ``lm`` and
``config``); every check runs before any LM call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dspex_core.backend import (
    Implementation,
    InputField,
    OutputField,
    Prediction,
    Signature,
    cleandoc,
    input_rules,
    module_type,
)
from dspex_core.errors import InputError

from dspex_native import _not_implemented
from dspex_native.predictor import call, dspy_state
from dspex_native.predictor.options import demo_list, resolve_signature
from dspex_native.predictor.state import PredictState, build_state

(COMPLETIONS,) = module_type("multi_chain_comparison").extra_inputs
(RATIONALE,) = module_type("multi_chain_comparison").extra_outputs
CREATE_OPTIONS = frozenset({"M", "temperature", "instructions", "demos", "lm", "adapter"})
CALL_OPTIONS = frozenset({"lm", "config"})
#: the predictor's name in DSPy's module (``self.predict``), its saved state's key
PREDICTOR = "predict"


def attempt_field(index: int) -> str:
    return f"reasoning_attempt_{index}"


def extended(signature: Signature, M: int) -> Signature:  # noqa: N803 - DSPy's name
    """DSPy's signature for ``M`` attempts: the attempts appended to the inputs, ``rationale`` prepended
    to the outputs, the instructions unchanged (even DSPy's default sentence of the original fields)."""
    added = [attempt_field(i) for i in range(1, M + 1)] + [RATIONALE]
    taken = [name for name in added if name in signature.fields] + ([COMPLETIONS] if COMPLETIONS in
                                                                     signature.input_fields else [])
    if taken:
        raise InputError(f"multi_chain_comparison adds the fields {', '.join(added)} and reads {COMPLETIONS!r}; "
                         f"the signature already has {', '.join(map(repr, taken))}")
    # DSPy passes its instructions on as it reads them, cleaned; when they clean to nothing (only
    # whitespace), its first insert writes the default sentence of the fields it has by then,
    # and every later insert keeps that sentence.
    instructions = cleandoc(signature.instructions)
    out = signature
    for index in range(1, M + 1):
        out = out.append(attempt_field(index), InputField(prefix=f"Student Attempt #{index}:",
                                                          desc="${reasoning attempt}"))
        instructions = instructions or out.with_instructions("").instructions
    out = out.prepend(RATIONALE, OutputField(prefix="Accurate Reasoning: Thank you everyone. Let's now holistically",
                                             desc="${corrected reasoning}"))
    instructions = instructions or out.with_instructions("").instructions
    return out.with_instructions(instructions)


class ComparisonState:
    """A ``multi_chain_comparison`` module: the user's signature, ``M``, the last output's name and
    the extended predictor."""

    __slots__ = ("signature", "M", "last_key", "predict", "inputs", "attempt_fields")

    def __init__(self, signature: Signature, M: int, predict: PredictState):  # noqa: N803
        self.signature = signature
        self.M = M
        self.last_key = list(signature.output_fields)[-1]
        self.predict = predict
        #: what a call reads: the signature's inputs and the completions
        self.inputs = frozenset({*signature.input_fields, COMPLETIONS})
        self.attempt_fields = tuple(attempt_field(i) for i in range(1, M + 1))

    def __repr__(self) -> str:
        return f"ComparisonState({self.signature.signature!r}, M={self.M})"


def attempts(state: ComparisonState, completions: Any) -> list[str]:
    """The attempts' text, DSPy's way, after the dspy backend's checks (in its order)."""
    if type(completions) is not list and (isinstance(completions, (str, bytes, Mapping))
                                          or not hasattr(completions, "__iter__")):
        raise InputError("completions must be a list of predictions or dicts")
    given = completions if type(completions) is list else list(completions)
    if len(given) != state.M:
        raise InputError(f"multi_chain_comparison was created with M={state.M} and got {len(given)} completions; "
                         f"pass exactly M completions")
    last_key = state.last_key
    out = []
    for index, completion in enumerate(given):
        if type(completion) is not dict:
            if isinstance(completion, Mapping):
                completion = dict(completion)
            elif not (hasattr(completion, "get") and hasattr(completion, "keys")):
                raise InputError(f"completions[{index}] must be a prediction or a dict, "
                                 f"got {type(completion).__name__}")
        rationale = completion.get("rationale", completion.get("reasoning"))
        if rationale is None:
            raise InputError(f"completions[{index}] has no 'reasoning' (or 'rationale') field")
        if last_key not in completion:
            raise InputError(f"completions[{index}] has no {last_key!r} field (the signature's last output)")
        if not isinstance(rationale, str):
            raise InputError(f"completions[{index}]: the reasoning must be text, got {type(rationale).__name__}")
        # DSPy: .strip().split("\n")[0].strip() of each
        rationale = rationale.strip().partition("\n")[0].strip()
        answer = str(completion[last_key]).strip().partition("\n")[0].strip()
        out.append(f"«I'm trying to {rationale} I'm not sure but my prediction is {answer}»")
    return out


class MultiChainComparisonImplementation(Implementation):
    """``multi_chain_comparison``: ``create(signature, M=3, temperature=0.7, ...)``, executed with
    the signature's inputs and ``completions=[...]``."""

    module_type = "multi_chain_comparison"
    not_implemented = _not_implemented.PREDICT

    def create(self, spec: Any = None, **options: Any) -> ComparisonState:
        unknown = sorted(set(options) - CREATE_OPTIONS)
        if unknown:
            raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {self.module_type!r}; "
                             f"accepted: {', '.join(sorted(CREATE_OPTIONS))}")
        M = options.get("M", 3)  # noqa: N806 - DSPy's name
        if not isinstance(M, int) or isinstance(M, bool) or M < 1:
            raise InputError(f"M must be a positive integer (the number of completions to compare), got {M!r}")
        signature = resolve_signature(spec, options.get("instructions"), self.module_type)
        if not signature.output_fields:
            raise InputError(f"{self.module_type} needs a signature with at least one output field")
        module_options = {"lm": options.get("lm"), "adapter": options.get("adapter"), "demos": options.get("demos")}
        predict = build_state(self.module_type, extended(signature, M), module_options,
                              {"temperature": options.get("temperature", 0.7)})
        return ComparisonState(signature, M, predict)

    async def acreate(self, spec: Any = None, **options: Any) -> ComparisonState:
        return self.create(spec, **options)  # no I/O

    def _request(self, state: ComparisonState, inputs: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        """The predictor's inputs (the attempts first, then the call's own, as DSPy orders them)."""
        if type(inputs) is not dict and not isinstance(inputs, Mapping):
            raise InputError(f"{self.module_type}: inputs must be a mapping of field names to values, "
                             f"got {type(inputs).__name__}")
        names = state.inputs
        if names != inputs.keys():
            inputs = input_rules.check_inputs(self.module_type, names, inputs)  # raises, or drops ignored names
        if options and not CALL_OPTIONS.issuperset(options):
            unknown = sorted(set(options) - CALL_OPTIONS)
            raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for '{self.module_type} (call)'; "
                             f"accepted: {', '.join(sorted(CALL_OPTIONS))}")
        request = dict(zip(state.attempt_fields, attempts(state, inputs[COMPLETIONS])))
        for name, value in inputs.items():
            if name != COMPLETIONS:
                request[name] = value
        return request

    def execute(self, state: ComparisonState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return call.execute(state.predict, self._request(state, inputs, options), **options)

    async def aexecute(self, state: ComparisonState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return await call.aexecute(state.predict, self._request(state, inputs, options), **options)

    def render(self, state: ComparisonState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The comparison's request (the attempts written in), without calling the LM."""
        return call.render(state.predict, self._request(state, inputs, options), **options)

    def named_predictors(self, state: ComparisonState) -> list[tuple[str, PredictState]]:
        """DSPy's ``named_predictors()``: the one ``predict``."""
        return [(PREDICTOR, state.predict)]

    def describe(self, state: ComparisonState) -> dict[str, Any]:
        predict = state.predict
        return {
            "backend": "native",
            "module_type": self.module_type,
            "signature": state.signature.signature,
            "instructions": predict.signature.instructions,
            "inputs": [*state.signature.input_fields, COMPLETIONS],
            "outputs": list(predict.signature.output_fields),
            "M": state.M,
            "demos": [dict(d) for d in predict.demos],
            "config": dict(predict.config),
            "adapter": predict.adapter,
            "lm": repr(predict.lm) if predict.lm is not None else None,
        }

    def dump_state(self, state: ComparisonState) -> dict[str, Any]:
        """DSPy's ``dump_state()`` of the equivalent ``dspy.MultiChainComparison``: ``{"predict": {...}}``."""
        return {PREDICTOR: dspy_state.dump_state(state.predict)}

    def save(self, state: ComparisonState, path: Any) -> None:
        """DSPy's JSON state file (``module.save("x.json")``), loadable by plain DSPy."""
        dspy_state.write(path, self.dump_state(state))

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ComparisonState:
        """A module for ``spec`` (with the create ``options``) with DSPy's saved state applied: demos,
        instructions, each field's prefix and description; the saved demos win over ``demos=``."""
        if not isinstance(state_dict, Mapping):
            raise InputError(f"load_state needs the dict DSPy saved for the {self.module_type} module, "
                             f"got {type(state_dict).__name__}")
        saved = state_dict.get(PREDICTOR) if "signature" not in state_dict else state_dict
        if not isinstance(saved, Mapping) or not isinstance(saved.get("signature"), Mapping):
            raise InputError("the saved state has no 'predict' with a 'signature'; is it a dspy.MultiChainComparison "
                             "state?")
        base = self.create(spec, **{k: v for k, v in options.items() if k != "demos"})
        fields = saved["signature"].get("fields")
        expected = len(base.predict.signature.fields)
        if not isinstance(fields, list) or len(fields) != expected:
            count = len(fields) if isinstance(fields, list) else 0
            raise InputError(f"the saved state has {count} field(s), the {self.module_type} module for this "
                             f"signature and M={base.M} has {expected}")
        signature = dspy_state.apply_signature_state(base.predict.signature, saved["signature"])
        predict = base.predict
        module_options = {"lm": predict.lm, "adapter": None if predict.adapter == "auto" else predict.adapter,
                          "demos": demo_list(saved.get("demos") or [], self.module_type)}
        return ComparisonState(base.signature, base.M,
                               build_state(self.module_type, signature, module_options, dict(predict.config)))


implementation = MultiChainComparisonImplementation()
