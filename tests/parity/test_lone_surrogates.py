"""Text no provider can receive (a lone surrogate) is refused before any request over HTTP, as dspy 3.4
refuses it: the same error (a ``ValueError`` with dspy's words) and no request sent. A custom LM
object is handed such text (a known difference: dspy refuses it for every LM)."""

from __future__ import annotations

import warnings

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")
REPLY = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@settings(max_examples=10, deadline=None)
@given(before=st.text(max_size=5), bad=SURROGATE, after=st.text(max_size=5))
def test_a_lone_surrogate_is_refused_before_any_request_over_http(before, bad, after):
    question = before + bad + after
    with LocalLMServer(REPLY) as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        with pytest.raises(ValueError, match="not valid Unicode") as native:
            dspex.create("predict", "question -> answer", lm=lm, implementation="native")(question=question)
        assert server.chat_requests == []
        ref_lm = dspy.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-test", cache=False, num_retries=0)
        with pytest.raises(ValueError) as reference, dspy.context(lm=ref_lm):
            dspy.Predict("question -> answer")(question=question)
        assert server.chat_requests == []
    assert str(native.value) == str(reference.value)


def test_known_difference_a_custom_lm_object_is_handed_a_lone_surrogate():
    lm = RecordingLM(REPLY)
    dspex.create("predict", "question -> answer", lm=lm, implementation="native")(question="a\ud800b")
    assert "a\ud800b" in lm.calls[0].messages[-1]["content"]
