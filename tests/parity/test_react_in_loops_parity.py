"""A native ReAct inside native reward loops against ``dspy.Refine``/``dspy.BestOfN`` around
``dspy.ReAct``: the loops name and hint the agent's two predictors (``react``,
``extract.predict``) by DSPy's names, so every request (the agent's steps at each attempt, the
advice requests, the hints) must be DSPy's, and so must the chosen prediction."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from _loop_runs import assert_same, run_both
from _react_cases import chat
from dspex_core.testing.conformance._react_tools import add


class Script:
    """Replies by request: Refine's advice requests, the agent's steps, its extractions."""

    def fresh(self):
        react = [chat(next_thought="Add one.", next_tool_name="add", next_tool_args={"a": 1}),
                 chat(next_thought="Again.", next_tool_name="add", next_tool_args={"a": 3, "b": 4}),
                 chat(next_thought="Done.", next_tool_name="finish", next_tool_args={})] * 4
        extract = [chat(reasoning="r", answer=answer) for answer in ("first", "second", "third", "fourth")]
        advice = [chat(discussion="It went wrong.", advice={"react": "Use add twice.",
                                                            "extract.predict": "Be brief."})] * 4

        def reply(messages, settings):
            system = messages[0]["content"]
            if "`program_code`" in system:
                return advice.pop(0)
            return react.pop(0) if "`next_tool_name`" in system else extract.pop(0)

        return reply


def _build(loop: str):
    def make(backend: str):
        agent = dspex.create("react", "question -> answer", tools=[add], max_iters=3, implementation=backend)
        return dspex.create(loop, agent, N=3, reward_fn=lambda args, pred: float(pred.answer == "third"),
                            threshold=1.0, implementation=backend)

    return make


@pytest.mark.parametrize("loop", ["refine", "best_of_n"])
@pytest.mark.parametrize("is_async", [False, True])
def test_a_react_agent_in_a_reward_loop_runs_exactly_as_in_dspy(loop, is_async):
    native, reference = run_both(_build(loop), [{"question": "What is 1 + 2?"}], Script(), is_async)
    assert_same(native, reference)
    # three attempts of four requests (three steps, the extraction); Refine asks for advice twice
    assert native.outcome[0] == "ok" and len(native.calls) == (14 if loop == "refine" else 12)
    if loop == "refine":  # the later attempts carry the advice as each predictor's hint
        assert "[[ ## hint_ ## ]]\nUse add twice." in native.calls[5].messages[-1]["content"]
        assert "[[ ## hint_ ## ]]\nBe brief." in native.calls[-1].messages[-1]["content"]
