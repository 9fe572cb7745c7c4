"""Native ``react`` and ``dspy.ReAct`` saved states, both ways.

A ReAct saves one state per predictor, ``react`` and ``extract.predict`` (demos, instructions,
each field's prefix and description). Hypothesis draws the signature, tools and demos, and
edits a saved state the way an optimizer would (new instructions for either predictor, new
field descriptions and prefixes, demos with a whole trajectory step); then:

- native's ``dump_state`` is what ``dspy.ReAct(...).dump_state()`` gives for the same agent;
- a state dspy saved loads natively (``load_state``) and a native file loads in plain dspy
  (``program.load``) and in the dspy backend, and the loaded agents make the same requests and
  return the same prediction as the agent they were saved from.
"""

from __future__ import annotations

import copy
import json
import warnings

import dspy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _dspy_oracle import to_dspy_signature
from _react_cases import react_cases, recording
from _react_runs import DspyLM, call_options, assert_same_run, outcome
from dspex_core.testing.conformance._react_tools import TOOLS
from _strategies_local import TEXT
from dspex_native.modules.react import implementation as native

warnings.filterwarnings("ignore", module="dspy")


def _jsonable(state):
    return json.loads(json.dumps(state, ensure_ascii=False, default=str))


def _dspy_program(case):
    program = dspy.ReAct(to_dspy_signature(case["signature"]), tools=[TOOLS[n] for n in case["tools"]],
                         max_iters=case["max_iters"])
    for _, predictor in program.named_predictors():
        predictor.demos = [dspy.Example(**d) for d in case["demos"]]
    return program


def _native_state(case, **extra):
    return native.create(case["signature"], tools=[TOOLS[n] for n in case["tools"]], max_iters=case["max_iters"],
                         demos=list(case["demos"]), **extra)


@st.composite
def edited_states(draw, state):
    """``state`` (a ReAct's dump) edited as an optimizer edits it."""
    state = copy.deepcopy(state)
    for name in ("react", "extract.predict"):
        saved = state[name]
        if draw(st.booleans()):
            saved["signature"]["instructions"] = draw(st.one_of(
                TEXT.filter(lambda t: t.strip()), st.sampled_from(["Answer as an expert agent.", "  Indented\n  two"])))
        for field in saved["signature"]["fields"]:
            if draw(st.integers(0, 3)) == 0:
                field["description"] = draw(st.sampled_from(["A better description.", "multi\nline", "${other}"]))
            if draw(st.integers(0, 5)) == 0:
                field["prefix"] = draw(st.sampled_from(["Custom Prefix:", "Q:"]))
    if draw(st.booleans()):
        demo = {"trajectory": "[[ ## thought_0 ## ]]\nlook it up", "next_thought": "I know it.",
                "next_tool_name": "finish", "next_tool_args": {}}
        state["react"]["demos"] = [demo] + list(state["react"]["demos"])
    return state


@given(react_cases(backend=True))
def test_native_dumps_the_state_dspy_dumps(case):
    assert _jsonable(native.dump_state(_native_state(case))) == _jsonable(_dspy_program(case).dump_state())


@given(react_cases(backend=True), st.data())
def test_a_state_dspy_saved_runs_natively_as_in_dspy(case, data):
    program = _dspy_program(case)
    state = data.draw(edited_states(program.dump_state()))
    program.load_state(copy.deepcopy(state))
    loaded = native.load_state(case["signature"], copy.deepcopy(state), tools=[TOOLS[n] for n in case["tools"]],
                               max_iters=case["max_iters"], adapter=case["adapter"])
    assert _jsonable(native.dump_state(loaded)) == _jsonable(program.dump_state())
    assert_same_run(_run_native(loaded, case), _run_dspy(program, case))


@given(react_cases(backend=True), st.data())
def test_a_native_file_loads_in_plain_dspy_and_in_the_dspy_backend(tmp_path_factory, case, data):
    from dspex_dspy.modules.react import implementation as dspy_backend

    base = _native_state(case, adapter=case["adapter"])
    state = data.draw(edited_states(native.dump_state(base)))
    mine = native.load_state(case["signature"], copy.deepcopy(state), tools=[TOOLS[n] for n in case["tools"]],
                             max_iters=case["max_iters"], adapter=case["adapter"])
    path = tmp_path_factory.mktemp("react") / "agent.json"
    native.save(mine, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["metadata"]["dspex"]["module_type"] == "react"

    program = dspy.ReAct(to_dspy_signature(case["signature"]), tools=[TOOLS[n] for n in case["tools"]],
                         max_iters=case["max_iters"])
    program.load(str(path))
    assert _jsonable(program.dump_state()) == _jsonable(native.dump_state(mine))
    assert_same_run(_run_native(mine, case), _run_dspy(program, case))

    backend_state = dspy_backend.load_state(case["signature"], {k: v for k, v in saved.items() if k != "metadata"},
                                            tools=[TOOLS[n] for n in case["tools"]], max_iters=case["max_iters"],
                                            adapter=case["adapter"])
    assert _jsonable(dspy_backend.dump_state(backend_state)) == _jsonable(native.dump_state(mine))
    lm = recording(case["script"])
    reference = outcome(lambda: dspy_backend.execute(backend_state, dict(case["inputs"]), **call_options(case, lm)))
    assert_same_run(_run_native(mine, case), (reference, lm.calls))


def _run_native(state, case):
    lm = recording(case["script"])
    return outcome(lambda: native.execute(state, dict(case["inputs"]), **call_options(case, lm))), lm.calls


def _run_dspy(program, case):
    lm = recording(case["script"])
    kwargs = dict(case["inputs"])
    if case["call_config"] is not None:
        kwargs["config"] = dict(case["call_config"])
    if case["call_max_iters"] is not None:
        kwargs["max_iters"] = case["call_max_iters"]
    with dspy.context(lm=DspyLM(lm), adapter=dspy.JSONAdapter() if case["adapter"] == "json" else None):
        return outcome(lambda: program(**kwargs)), lm.calls


def test_a_state_without_both_predictors_is_an_input_error():
    from dspex_core.errors import InputError

    with pytest.raises(InputError, match="'extract.predict'"):
        native.load_state("question -> answer", {"react": native.dump_state(
            native.create("question -> answer", tools=[]))["react"]}, tools=[])
