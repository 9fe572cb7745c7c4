"""The README's mixed pipeline (signature -> chain_of_thought -> template), as written, on the real backends, checked against plain dspy.

Step 1 is a native ``signature`` step (a typed Predict), step 2 an ``"auto"`` ChainOfThought
(native, since native is preferred), step 3 a native template. Step 2's LM request must be
byte-identical to a plain ``dspy.ChainOfThought`` on the same inputs, and forcing it to dspy
must give the same final state.
"""

from __future__ import annotations

import asyncio

import dspy
import pytest

import dspex_core as dspex
from dspex_core.testing import RecordingLM

from _dspy_oracle import CustomLM

PIPELINE_INPUTS = {"query": "explain DSPy"}
KEYWORDS_REPLY = '[[ ## keywords ## ]]\n["dspy", "prompt optimization", "modules"]\n\n[[ ## completed ## ]]'
ANALYSIS_REPLY = ("[[ ## reasoning ## ]]\nDSPy programs LMs declaratively.\n\n[[ ## analysis ## ]]\n"
                  "DSPy compiles modules into prompts.\n\n[[ ## completed ## ]]")


def mixed_steps(step2: str = "auto", **step1_options):
    return [
        ("native", dspex.Signature, {"spec": "query -> keywords: list[str]", **step1_options}),
        (step2, dspex.ChainOfThought, {"signature": "keywords -> analysis"}),
        ("native", dspex.Template, {"template": "Analysis: {analysis}"}),
    ]


pytestmark = pytest.mark.usefixtures("clean_pipeline_settings")


def plain_dspy_cot(lm_replies, keywords, adapter=None):
    """``dspy.ChainOfThought("keywords -> analysis")(keywords=...)`` with the same LM wrapper as
    the dspy backend; returns (prediction, recorded calls)."""
    lm = RecordingLM(lm_replies)
    with dspy.context(lm=CustomLM(lm), adapter=adapter):
        pred = dspy.ChainOfThought("keywords -> analysis")(keywords=keywords)
    return pred, lm.calls


def test_mixed_pipeline_as_written_with_a_recording_lm():
    lm = RecordingLM([KEYWORDS_REPLY, ANALYSIS_REPLY])
    dspex.configure(lm=lm)
    p = dspex.pipeline(mixed_steps())
    assert [s.backend for s in p.steps] == ["native", "native", "native"]
    assert [s.outputs for s in p.steps] == [("query", "keywords"), ("reasoning", "analysis"), ("text",)]
    res = dspex.run_pipeline(p, PIPELINE_INPUTS)
    keywords = ["dspy", "prompt optimization", "modules"]
    assert res.state == {"query": "explain DSPy", "keywords": keywords,
                         "reasoning": "DSPy programs LMs declaratively.",
                         "analysis": "DSPy compiles modules into prompts.",
                         "text": "Analysis: DSPy compiles modules into prompts."}
    assert [(s.name, s.backend, s.fallback_from) for s in res.steps] == [
        ("1:signature", "native", None), ("2:chain_of_thought", "native", None), ("3:template", "native", None)]
    assert len(lm.calls) == 2

    # Step 1's request is native predict's for the same signature; step 2's is plain dspy's.
    plain_step1 = RecordingLM([KEYWORDS_REPLY])
    dspex.create("predict", "query -> keywords: list[str]", implementation="native", lm=plain_step1)(**PIPELINE_INPUTS)
    assert lm.calls[0] == plain_step1.calls[0]
    pred, dspy_calls = plain_dspy_cot([ANALYSIS_REPLY], keywords)
    assert lm.calls[1].messages == dspy_calls[0].messages
    assert lm.calls[1].settings == dspy_calls[0].settings
    assert (pred.reasoning, pred.analysis) == (res.reasoning, res.analysis)


def test_forcing_step_2_to_dspy_gives_the_same_state_and_request():
    native_lm = RecordingLM([KEYWORDS_REPLY, ANALYSIS_REPLY])
    native = dspex.run_pipeline(dspex.pipeline(mixed_steps()), PIPELINE_INPUTS, lm=native_lm)
    dspy_lm = RecordingLM([KEYWORDS_REPLY, ANALYSIS_REPLY])
    p = dspex.pipeline(mixed_steps("dspy"))
    assert p.steps[1].backend == "dspy" and p.steps[1].outputs == ("reasoning", "analysis")
    forced = dspex.run_pipeline(p, PIPELINE_INPUTS, lm=dspy_lm)
    assert forced.state == native.state
    assert [s.backend for s in forced.steps] == ["native", "dspy", "native"]
    assert dspy_lm.calls == native_lm.calls


def test_mixed_pipeline_on_the_offline_lm_matches_plain_dspy():
    offline = dspex.OfflineLM()
    lm = RecordingLM(lambda messages, settings: offline(messages, **settings))
    res = dspex.run_pipeline(dspex.pipeline(mixed_steps()), PIPELINE_INPUTS, lm=lm)
    assert isinstance(res.keywords, list) and res.keywords and all(isinstance(k, str) for k in res.keywords)
    assert res.text == f"Analysis: {res.analysis}" and res.analysis
    pred, dspy_calls = plain_dspy_cot(lambda messages, settings: offline(messages, **settings), res.keywords)
    assert lm.calls[1].messages == dspy_calls[0].messages
    assert (pred.reasoning, pred.analysis) == (res.reasoning, res.analysis)

    forced_lm = RecordingLM(lambda messages, settings: offline(messages, **settings))
    forced = dspex.run_pipeline(dspex.pipeline(mixed_steps("dspy")), PIPELINE_INPUTS, lm=forced_lm)
    assert forced.state == res.state
    assert forced_lm.calls == lm.calls


def test_async_mixed_pipeline():
    lm = RecordingLM([KEYWORDS_REPLY, ANALYSIS_REPLY])
    res = asyncio.run(dspex.arun_pipeline(dspex.pipeline(mixed_steps()), PIPELINE_INPUTS, lm=lm))
    assert res.text == "Analysis: DSPy compiles modules into prompts."
    assert [s.backend for s in res.steps] == ["native", "native", "native"]


def test_step_1_input_problems_stop_the_run_before_any_lm_call():
    lm = RecordingLM([KEYWORDS_REPLY, ANALYSIS_REPLY])
    p = dspex.pipeline([("native", dspex.Signature, {"spec": "query: str, k: int -> keywords: list[str]"}),
                        *mixed_steps()[1:]])
    with pytest.raises(dspex.StepError) as info:
        dspex.run_pipeline(p, {"query": "q", "k": "three"}, lm=lm)
    assert info.value.step_name == "1:signature" and isinstance(info.value.__cause__, dspex.InputError)
    assert info.value.state == {"query": "q", "k": "three"} and info.value.results == []
    assert lm.calls == []


def test_a_read_no_step_provides_fails_at_build_time():
    with pytest.raises(dspex.InputError, match="'3:template'.*'summary'"):
        dspex.pipeline([*mixed_steps()[:2], ("native", dspex.Template, {"template": "{summary}"})])
