"""dspy.ReActV2 on the layer: DSPy's constructor checks, its submit tool and react predictor, and a run
(sync and async) whose history carries the calls with their results."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def dspy():
    import dspex_compat

    dspex_compat.install()
    import dspy

    return dspy


def _calls(dspy, *items):
    return dspy.ToolCalls.from_dict_list([{"name": n, "args": a} for n, a in items])


def test_reserved_names_and_the_submit_tool(dspy):
    with pytest.raises(ValueError, match="`history` are reserved"):
        dspy.ReActV2("q -> history", tools=[])
    with pytest.raises(ValueError, match="`tools` are reserved"):
        dspy.ReActV2("tools -> a", tools=[])
    with pytest.raises(ValueError, match="`submit` is reserved"):
        dspy.ReActV2("q -> a", tools=[dspy.Tool(lambda: 1, name="submit")])
    agent = dspy.ReActV2("q -> a: int", tools=[])
    assert list(agent.tools) == ["submit"] and agent.tools["submit"].args == {"a": {"type": "integer"}}
    assert isinstance(agent.react, dspy.Predict)
    assert [n for n, _ in agent.named_predictors()] == ["react"]
    with pytest.raises(ValueError, match="Missing required final output field"):
        agent.tools["submit"]()


def test_a_run_keeps_calls_and_results_in_the_history(dspy):
    from dspy.utils import DummyLM

    def double(n: int) -> int:
        return 2 * n

    lm = DummyLM([{"next_thought": "x", "tool_calls": _calls(dspy, ("double", {"n": 2}), ("nope", {}))},
                  {"next_thought": "y", "tool_calls": _calls(dspy, ("submit", {"a": 4}))}])
    agent = dspy.ReActV2("q -> a: int", tools=[double])
    with dspy.context(lm=lm):
        pred = asyncio.run(agent.acall(q="two?"))
    assert (pred.a, pred.termination_reason) == (4, "submit")
    results = pred.history.messages[0]["tool_calls"].tool_call_results.tool_call_results
    assert [(r.call_id, r.value, r.is_error) for r in results] == [("call_0_0", 4, False),
                                                                   ("call_0_1", "Unknown tool: nope", True)]
    assert "[[ ## tool_call_results ## ]]" in lm.history[1]["messages"][3]["content"]


def test_no_submit_after_the_last_turn_is_an_error(dspy):
    from dspy.utils import DummyLM

    lm = DummyLM([{"next_thought": "x", "tool_calls": _calls(dspy, ("submit", {}))}] * 2)
    with dspy.context(lm=lm), pytest.raises(ValueError, match="after max_iters: submit failed"):
        dspy.ReActV2("q -> a", tools=[], max_iters=1)(q="?")
    with pytest.raises(ValueError, match="history must be a dspy.History"):
        dspy.ReActV2("q -> a", tools=[])(q="?", history=[1])
