"""Fallback end to end: an ``"auto"`` pipeline step whose native module fails for a reason other
than the user's input is retried on dspy, the result and the telemetry say so; an input error
is never retried elsewhere.

Native is made to fail for real: ``dspex.context(adapter=dspy.XMLAdapter())`` asks for a dspy
adapter object, which the native backend does not run (``CapabilityError`` at execute, before any
LM call), while dspy serves it; and a native method patched to raise ``RuntimeError``
stands for an internal bug.
"""

from __future__ import annotations

import asyncio

import dspy
import pytest

import dspex_core as dspex
from dspex_core import telemetry
from dspex_core.testing import RecordingLM
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought

from _dspy_oracle import CustomLM

KEYWORDS_REPLY = '[[ ## keywords ## ]]\n["dspy", "modules"]\n\n[[ ## completed ## ]]'
CHAT_ANALYSIS = "[[ ## reasoning ## ]]\nr\n\n[[ ## analysis ## ]]\nA chat answer.\n\n[[ ## completed ## ]]"
XML_ANALYSIS = "<reasoning>\nr\n</reasoning>\n<analysis>\nAn XML answer.\n</analysis>"


pytestmark = pytest.mark.usefixtures("clean_pipeline_settings")


@pytest.fixture
def fallbacks():
    events = []
    telemetry.attach(telemetry.FALLBACK, lambda event, measurements, metadata: events.append(dict(metadata)))
    return events


def pipeline_under_test(**step1_options):
    return dspex.pipeline([
        ("native", dspex.Signature, {"spec": "query -> keywords: list[str]", **step1_options}),
        ("auto", dspex.ChainOfThought, {"signature": "keywords -> analysis"}),
        ("native", dspex.Template, {"template": "Analysis: {analysis}"}),
    ])


def test_capability_error_falls_back_to_dspy(fallbacks):
    lm = RecordingLM([KEYWORDS_REPLY, XML_ANALYSIS])
    p = pipeline_under_test(adapter="chat")  # step 1 keeps the chat adapter; step 2 follows the settings
    assert p.steps[1].backend == "native"
    res = dspex.run_pipeline(p, {"query": "explain DSPy"}, lm=lm, adapter=dspy.XMLAdapter(), allow_fallback=True)
    step2 = res.steps[1]
    assert (step2.backend, step2.fallback_from) == ("dspy", "native")
    assert [(s.backend, s.fallback_from) for s in (res.steps[0], res.steps[2])] == [("native", None), ("native", None)]
    assert res.text == "Analysis: An XML answer."
    assert [(e["operation"], e["module_type"], e["from_implementation"], e["to_implementation"]) for e in fallbacks] \
        == [("execute", "chain_of_thought", "native", "dspy")]
    assert "CapabilityError" in fallbacks[0]["error"] and "xml" in fallbacks[0]["error"]
    assert len(lm.calls) == 2  # native failed before calling the LM

    # dspy served it exactly as plain dspy with its XMLAdapter would.
    plain = RecordingLM([XML_ANALYSIS])
    with dspy.context(lm=CustomLM(plain), adapter=dspy.XMLAdapter()):
        dspy.ChainOfThought("keywords -> analysis")(keywords=["dspy", "modules"])
    assert lm.calls[1].messages == plain.calls[0].messages


def test_without_allow_fallback_the_step_fails_with_the_state_so_far(fallbacks):
    lm = RecordingLM([KEYWORDS_REPLY])
    with pytest.raises(dspex.StepError) as info:
        dspex.run_pipeline(pipeline_under_test(adapter="chat"), {"query": "q"}, lm=lm, adapter=dspy.XMLAdapter(),
                           allow_fallback=False)
    err = info.value
    assert err.step_name == "2:chain_of_thought" and isinstance(err.__cause__, dspex.CapabilityError)
    assert err.state == {"query": "q", "keywords": ["dspy", "modules"]}
    assert fallbacks == []


def test_internal_error_falls_back_sync_and_async(monkeypatch, fallbacks):
    def broken(state, inputs, **options):
        raise RuntimeError("native bug")

    async def abroken(state, inputs, **options):
        raise RuntimeError("native bug (async)")

    monkeypatch.setattr(chain_of_thought, "execute", broken)
    monkeypatch.setattr(chain_of_thought, "aexecute", abroken)
    p = pipeline_under_test()
    lm = RecordingLM([KEYWORDS_REPLY, CHAT_ANALYSIS, KEYWORDS_REPLY, CHAT_ANALYSIS])
    res = dspex.run_pipeline(p, {"query": "q"}, lm=lm)
    assert (res.steps[1].backend, res.steps[1].fallback_from) == ("dspy", "native")
    assert res.analysis == "A chat answer."
    ares = asyncio.run(dspex.arun_pipeline(p, {"query": "q"}, lm=lm))
    assert (ares.steps[1].backend, ares.steps[1].fallback_from) == ("dspy", "native")
    assert ares.state == res.state
    assert [e["error"] for e in fallbacks] == ["RuntimeError: native bug", "RuntimeError: native bug (async)"]


def test_a_forced_native_step_does_not_fall_back(monkeypatch, fallbacks):
    monkeypatch.setattr(chain_of_thought, "execute", lambda state, inputs, **options: 1 / 0)
    p = dspex.pipeline([("native", dspex.ChainOfThought, {"signature": "keywords -> analysis"})])
    with pytest.raises(dspex.StepError, match="ZeroDivisionError"):
        dspex.run_pipeline(p, {"keywords": "k"}, lm=RecordingLM([CHAT_ANALYSIS]))
    assert fallbacks == []


def test_an_input_error_does_not_fall_back(fallbacks):
    # Step 2's `keywords` is a str field; a list of numbers is the user's mistake on both
    # backends (native: InputError), so dspy must not be tried.
    lm = RecordingLM(['[[ ## keywords ## ]]\n[1, 2]\n\n[[ ## completed ## ]]', CHAT_ANALYSIS])
    p = dspex.pipeline([
        ("native", dspex.Signature, {"spec": "query -> keywords: list[int]"}),
        ("auto", dspex.ChainOfThought, {"signature": "keywords -> analysis"}),
    ])
    with pytest.raises(dspex.StepError) as info:
        dspex.run_pipeline(p, {"query": "q"}, lm=lm, allow_fallback=True)
    assert isinstance(info.value.__cause__, dspex.InputError)
    assert info.value.step_name == "2:chain_of_thought" and info.value.state["keywords"] == [1, 2]
    assert [r.backend for r in info.value.results] == ["native"]
    assert fallbacks == [] and len(lm.calls) == 1
