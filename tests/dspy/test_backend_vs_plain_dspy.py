"""Property: a module run through dspex's dspy backend sends the LM exactly what plain dspy
sends for the same signature, demos and inputs, and returns the same values (or fails the
same way after the same number of LM calls)."""

from __future__ import annotations

import dspy
from dspy_helpers import PlainLM, dspy_ref
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing import strategies as ds


def plain_signature(spec) -> type:
    """The signature a plain-dspy user writes for ``spec`` (built without dspex's translation)."""
    if spec.form in ("string", "signature"):
        return dspy.Signature(spec.text, spec.instructions) if spec.instructions else dspy.Signature(spec.text)
    fields = {}
    for f in spec.inputs:
        fields[f.name] = (f.annotation, dspy.InputField(desc=f.desc) if f.desc is not None else dspy.InputField())
    for f in spec.outputs:
        fields[f.name] = (f.annotation, dspy.OutputField(desc=f.desc) if f.desc is not None else dspy.OutputField())
    return dspy.Signature(fields, spec.instructions) if spec.instructions else dspy.Signature(fields)


@st.composite
def cases(draw):
    spec = draw(ds.signatures())
    module_type = draw(st.sampled_from(["predict", "chain_of_thought"]))
    values = draw(ds.inputs(spec))
    demos = draw(ds.demos(spec, max_size=2))
    replies = draw(st.lists(ds.replies(ds.reply_fields(spec, module_type)), min_size=2, max_size=2))
    return spec, module_type, values, demos, replies


def run_plain(spec, module_type, values, demos, replies):
    cls = dspy.Predict if module_type == "predict" else dspy.ChainOfThought
    program = cls(plain_signature(spec))
    for _, predictor in program.named_predictors():
        predictor.demos = [dspy.Example(**d) for d in demos]
    lm = PlainLM(list(replies))
    try:
        with dspy.context(lm=lm, adapter=None):
            result = ("ok", dict(program(**values).items()))
    except Exception as exc:
        result = ("error", type(exc).__name__)
    return result, lm.messages


def run_dspex(spec, module_type, values, demos, replies):
    lm = RecordingLM(list(replies))
    ref = dspy_ref(module_type, spec.build(), lm=lm, demos=[dspex.Example(d) for d in demos])
    try:
        result = ("ok", ref(**values).toDict())
    except dspex.AdapterParseError:
        result = ("error", "AdapterParseError")
    except Exception as exc:
        result = ("error", type(exc).__name__)
    return result, [call.messages for call in lm.calls]


@settings(max_examples=40)
@given(cases())
def test_dspy_backend_matches_plain_dspy(case):
    plain_result, plain_messages = run_plain(*case)
    ours, our_messages = run_dspex(*case)
    assert our_messages == plain_messages
    assert ours == plain_result
