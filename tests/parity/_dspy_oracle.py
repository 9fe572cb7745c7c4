"""Plain dspy as the oracle for the native adapters and predict modules.

``CustomLM`` mirrors the dspy backend's wrapper of a custom LM object (``dspex_dspy.lm.CustomLM``):
a ``dspy.BaseLM`` named after the object's ``model``, ``model_type="chat"``, empty ``kwargs``,
no cache, forwarding exactly the per-call kwargs dspy passes. Both sides call the same
:class:`~dspex_core.testing.RecordingLM`, so their requests are compared byte for byte.
"""

from __future__ import annotations

import warnings
from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError as DspyParseError

from dspex_core import Signature
from dspex_core.errors import AdapterParseError
from dspex_core.testing import RecordingLM

warnings.filterwarnings("ignore", module="dspy")


class CustomLM(dspy.BaseLM):
    def __init__(self, obj: Any):
        super().__init__(model=getattr(obj, "model", "dspex/custom"), model_type="chat", cache=False)
        self.kwargs = {}
        self._obj = obj

    def __call__(self, prompt=None, messages=None, **kwargs):
        return self._obj(messages, **kwargs)

    async def acall(self, prompt=None, messages=None, **kwargs):
        return await self._obj.acall(messages, **kwargs)


def to_dspy_signature(sig: Signature) -> Any:
    """The same signature as a dspy class (annotations, descriptions, instructions; dspex's
    field types as dspy's, e.g. ``dspex.History`` as ``dspy.History``)."""
    from dspex_dspy.translate import to_dspy_annotation

    fields = {}
    for name, field in sig.input_fields.items():
        info = dspy.InputField(desc=field.desc) if field.desc is not None else dspy.InputField()
        fields[name] = (to_dspy_annotation(field.annotation), info)
    for name, field in sig.output_fields.items():
        info = dspy.OutputField(desc=field.desc) if field.desc is not None else dspy.OutputField()
        fields[name] = (field.annotation, info)
    return dspy.Signature(fields, sig.instructions if sig.has_custom_instructions else None)


def outcome_of(fn):
    """Run ``fn``; return ("ok", fields, completions) or ("parse_error", None, None)."""
    from dspex_core.errors import InputError

    try:
        pred = fn()
    except (AdapterParseError, DspyParseError):
        return ("parse_error", None, None)
    except (InputError, TypeError):
        # A list of non-strings given to a str field: dspy raises TypeError, native InputError.
        return ("input_error", None, None)
    fields = {k: pred[k] for k in pred.keys()}
    completions = [dict(c) for c in pred.completions] if len(pred.completions) > 1 else None
    return ("ok", fields, completions)


def dspy_completions(pred: Any) -> Any:
    return pred.completions


def typed(value: Any) -> Any:
    """A value with its types spelled out, so that 1 == True == 1.0 do not compare equal."""
    if isinstance(value, dict):
        return ("dict", tuple((typed(k), typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(typed(v) for v in value))
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def run_dspy(sig: Signature, *, module: str = "predict", demos=(), inputs=None, replies=(), config=None,
             call_config=None, adapter: str = "chat", model: str = "recording-lm", is_async: bool = False):
    """Run plain dspy; return (outcome, lm.calls).

    One documented difference is applied first: a call without a required input is dspex's
    ``InputError`` before any LM call (dspex_core.backend.input_rules; DSPy 3.4 only logs a
    warning and sends a prompt without the field), so that is the outcome expected of native."""
    from dspex_core.backend import input_rules

    if not input_rules.required_inputs(sig.input_fields) <= set(inputs or {}):
        return ("input_error", None, None), []
    lm = RecordingLM(list(replies), model=model)
    dsig = to_dspy_signature(sig)
    config = dict(config or {})
    if module == "chain_of_thought":
        program = dspy.ChainOfThought(dsig, **config)
        predictor = program.predict
    else:
        program = predictor = dspy.Predict(dsig, **config)
    predictor.demos = [dspy.Example(**d) for d in demos]
    from dspex_dspy.translate import to_dspy_inputs

    kwargs = to_dspy_inputs(dict(inputs or {}))
    if call_config:
        kwargs["config"] = dict(call_config)
    adapters = {"json": dspy.JSONAdapter, "xml": dspy.XMLAdapter}
    with dspy.context(lm=CustomLM(lm), adapter=adapters[adapter]() if adapter in adapters else None):
        if is_async:
            import asyncio

            result = outcome_of(lambda: asyncio.run(program.acall(**kwargs)))
        else:
            result = outcome_of(lambda: program(**kwargs))
    return result, lm.calls


def run_native(sig: Signature, *, module: str = "predict", demos=(), inputs=None, replies=(), config=None,
               call_config=None, adapter: str = "chat", model: str = "recording-lm", is_async: bool = False):
    """Run the native implementation with the same setup; return (outcome, lm.calls)."""
    from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
    from dspex_native.modules.predict import implementation as predict

    impl = chain_of_thought if module == "chain_of_thought" else predict
    lm = RecordingLM(list(replies), model=model)
    state = impl.create(sig, demos=list(demos), adapter=adapter, config=dict(config or {}))
    options = {"lm": lm}
    if call_config:
        options["config"] = dict(call_config)
    if is_async:
        import asyncio

        result = outcome_of(lambda: asyncio.run(impl.aexecute(state, dict(inputs or {}), **options)))
    else:
        result = outcome_of(lambda: impl.execute(state, dict(inputs or {}), **options))
    return result, lm.calls


def assert_same_run(native, reference):
    (n_out, n_calls), (d_out, d_calls) = native, reference
    assert len(n_calls) == len(d_calls), (n_calls, d_calls)
    for mine, theirs in zip(n_calls, d_calls):
        assert mine.messages == theirs.messages
        assert mine.settings == theirs.settings
    assert n_out[0] == d_out[0], (n_out, d_out)
    if n_out[0] == "ok":
        assert typed(n_out[1]) == typed(d_out[1])
        if d_out[2] is not None or n_out[2] is not None:
            assert typed(n_out[2]) == typed(d_out[2])
