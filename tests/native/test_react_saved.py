"""The native react module type through the facade, ``describe()``, and DSPy's saved state
(``react`` and ``extract.predict``) written and read back natively; against plain dspy in
tests/parity/test_react_state.py."""

from __future__ import annotations

import asyncio
import json

import pytest

import dspex_core as dspex
from dspex_core import InputError
from dspex_core.testing import RecordingLM
from dspex_native.modules.react import implementation as react
from _react_helpers import ANSWER, add, step


# -- the facade, describe, saved state -------------------------------------------------------------

def test_the_facade_routes_react_to_native():
    dspex.registry.refresh()
    lm = RecordingLM([step("add", a=1), step("finish"), ANSWER])
    ref = dspex.ReAct.create("question -> answer", tools=[add], implementation="native", lm=lm)
    assert ref.backend == "native"
    pred = ref(question="q")
    assert pred.trajectory["observation_0"] == 3 and pred.answer == "42"
    lm.reset([step("finish"), ANSWER])
    assert asyncio.run(ref.acall(question="q")).answer == "42"


def test_describe_lists_the_fields_tools_and_predictors():
    info = react.describe(react.create("question -> answer: int", tools=[add], max_iters=4, temperature=0.2))
    assert info["inputs"] == ["question"] and info["outputs"] == ["trajectory", "reasoning", "answer"]
    assert [t["name"] for t in info["tools"]] == ["add", "finish"] and info["max_iters"] == 4
    assert list(info["predictors"]) == ["react", "extract.predict"] and info["config"] == {"temperature": 0.2}


def test_dump_state_save_and_load_state_round_trip(tmp_path):
    state = react.create("question -> answer: int", tools=[add], demos=[{"question": "Q", "answer": 1}])
    dumped = react.dump_state(state)
    assert list(dumped) == ["react", "extract.predict"]
    assert [f["prefix"] for f in dumped["react"]["signature"]["fields"]] == [
        "Question:", "Trajectory:", "Next Thought:", "Next Tool Name:", "Next Tool Args:"]
    assert [f["prefix"] for f in dumped["extract.predict"]["signature"]["fields"]] == [
        "Question:", "Trajectory:", "Reasoning:", "Answer:"]
    dumped["react"]["signature"]["instructions"] = "Use the tools wisely."
    dumped["extract.predict"]["demos"] = []
    loaded = react.load_state("question -> answer: int", dumped, tools=[add])
    assert react.dump_state(loaded) == dumped
    lm = RecordingLM([step("finish"), ANSWER])
    react.execute(loaded, {"question": "q"}, lm=lm)
    assert lm.calls[0].messages[0]["content"].endswith("your objective is: \n        Use the tools wisely.")
    assert len(lm.calls[0].messages) == 2 and len(lm.calls[1].messages) == 2
    path = tmp_path / "agent.json"
    react.save(loaded, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["metadata"]["dspex"] == {"module_type": "react", "signature": "question -> answer: int"}
    assert {k: v for k, v in saved.items() if k != "metadata"} == dumped
    with pytest.raises(InputError, match="must end with .json"):
        react.save(loaded, tmp_path / "agent.pkl")


def test_load_state_needs_both_predictors_and_the_tools():
    dumped = react.dump_state(react.create("question -> answer", tools=[add]))
    with pytest.raises(InputError, match="no 'extract.predict' predictor"):
        react.load_state("question -> answer", {"react": dumped["react"]}, tools=[add])
    with pytest.raises(InputError, match="react needs tools"):
        react.load_state("question -> answer", dumped)
