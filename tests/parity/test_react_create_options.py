"""ReAct's create options mean the same on both backends: LM settings given at create become the
config of both of the agent's predictors, and a tool taking ``*args`` is refused before any LM
call, with the same message."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core.errors import InputError
from dspex_core.testing import RecordingLM

STEP = ("[[ ## next_thought ## ]]\nDone.\n\n[[ ## next_tool_name ## ]]\nfinish\n\n[[ ## next_tool_args ## ]]\n{}\n\n"
        "[[ ## completed ## ]]")
EXTRACT = "[[ ## reasoning ## ]]\nSo.\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"


def lookup(topic: str) -> str:
    """Look a topic up."""
    return topic


def spread(*topics: str) -> str:
    """Takes its arguments by position only."""
    return ",".join(topics)


def run(backend: str, **settings):
    lm = RecordingLM([STEP, EXTRACT])
    agent = dspex.ReAct.create("question -> answer", tools=[lookup], implementation=backend, lm=lm, **settings)
    pred = agent(question="?")
    return [(call.messages, call.settings) for call in lm.calls], pred.answer


@pytest.mark.parametrize("settings", [{}, {"temperature": 0.3}, {"temperature": 0.9, "max_tokens": 300}])
def test_create_time_lm_settings_reach_both_predictors_alike(settings):
    native, dspy = run("native", **settings), run("dspy", **settings)
    assert native == dspy
    assert all(sent == settings for _, sent in native[0])


@pytest.mark.parametrize("backend", ["native", "dspy"])
def test_a_tool_taking_star_args_is_refused_before_any_lm_call(backend):
    lm = RecordingLM([])
    with pytest.raises(InputError) as raised:
        dspex.ReAct.create("question -> answer", tools=[lookup, spread], implementation=backend, lm=lm)
    assert str(raised.value) == ("tools[1] (spread) takes *topics; a ReAct agent calls tools with keyword arguments "
                                 "only, so declare each argument by name (for a builtin or functools.partial, wrap "
                                 "it in a function)")
    assert lm.calls == []
