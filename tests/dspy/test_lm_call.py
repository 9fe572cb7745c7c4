"""The dspy backend's ``lm`` module type: ``dspy.LM(...)(messages=..., **config)`` as a module.

The inputs and options follow the core's rule (``lm_call_rules``), with native's words; the
outputs are dspy's; usage and history are recorded as for every dspy call.
"""

from __future__ import annotations

import asyncio

import pytest

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError
from dspex_core.testing.server import LocalLMServer

#: dspy 3.4 warns that messages= dicts are deprecated there (3.5 drops them); the module type takes them
pytestmark = pytest.mark.filterwarnings("ignore:Passing OpenAI-style message:DeprecationWarning")


class Echo:
    model = "echo"

    def __init__(self):
        self.calls = []

    def __call__(self, messages, **settings):
        self.calls.append((messages, settings))
        return [f"{messages[-1]['content']}!"]


def _lm(**options):
    return dspex.create("lm", implementation="dspy", **options)


def test_a_call_sends_the_messages_and_the_merged_settings_to_the_lm():
    echo = Echo()
    ref = _lm(lm=echo, config={"temperature": 0.5})
    assert ref(prompt="hi").outputs == ["hi!"]
    assert asyncio.run(ref.acall(messages=[{"role": "user", "content": "yo"}], config={"max_tokens": 5})).outputs == [
        "yo!"]
    assert [c[0] for c in echo.calls] == [[{"role": "user", "content": "hi"}], [{"role": "user", "content": "yo"}]]
    assert echo.calls[1][1]["max_tokens"] == 5 and echo.calls[1][1]["temperature"] == 0.5


@pytest.mark.parametrize("inputs, words", [({}, "a call needs messages"), ({"messages": []}, "non-empty list"),
                                           ({"prompt": "a", "n": 2}, r"unknown input\(s\) \['n'\]")])
def test_bad_inputs_are_the_cores_input_errors(inputs, words):
    with pytest.raises(InputError, match=words):
        _lm(lm=Echo())(**inputs)
    with pytest.raises(InputError, match=r"unknown option\(s\) \['demos'\]"):
        _lm(lm=Echo(), demos=[])


def test_over_http_outputs_usage_and_history():
    with LocalLMServer("hello") as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-x", cache=False, num_retries=0)
        with dspex.track_usage() as usage:
            pred = _lm(lm=lm)(prompt="Say hi", config={"max_tokens": 7})
        assert pred.outputs == ["hello"]
        assert server.chat_requests[0]["body"]["messages"] == [{"role": "user", "content": "Say hi"}]
        assert usage.get_total_tokens()["openai/gpt-4o-mini"]["total_tokens"] > 0
        assert dspex.history(1)[0]["outputs"] == ["hello"]
    with pytest.raises(CapabilityError, match="no learned state"):
        _lm(lm=lm).save("unused.json")
