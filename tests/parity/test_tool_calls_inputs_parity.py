"""A ``ToolCalls`` input field (the calls an agent made so far) on native against dspy 3.4: DSPy's
field list adds the type's description under the field, and the value is written as its JSON
(``{"tool_calls": [{"name", "args"}]}``, ``tool_call_results`` too when set, non-ASCII kept), in the
user message and in demos, by every adapter. Hypothesis draws the calls (ids, names, arguments),
the results and the adapter; the messages are compared byte for byte and the predictions equal.
Native takes ``dspex.ToolCalls``, ``dspy.ToolCalls`` and a plain list of call dicts alike, as dspy
writes each of them; a ToolCalls inside another type stays a CapabilityError."""

from __future__ import annotations

from typing import Optional

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import assert_same_run, run_dspy, run_native
from dspex_core import Signature
from dspex_core._signature import Field

NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
VALUES = st.one_of(st.integers(-9, 9), st.text("ab é\n\"", max_size=5), st.booleans(), st.none(),
                   st.lists(st.integers(0, 3), max_size=2))
CALLS = st.lists(st.fixed_dictionaries({"name": NAMES, "args": st.dictionaries(NAMES, VALUES, max_size=3)},
                                       optional={"id": st.sampled_from(["call_1", "c2"])}), min_size=1, max_size=3)
RESULTS = st.one_of(st.none(), st.lists(st.fixed_dictionaries({"name": NAMES, "value": VALUES}), max_size=2))
REPLIES = {"chat": "[[ ## answer ## ]]\ndone\n\n[[ ## completed ## ]]", "json": '{"answer": "done"}',
           "xml": "<answer>done</answer>"}


def _sig(annotation=dspy.ToolCalls) -> Signature:
    return Signature._make({"question": Field("question", "input", str, None),
                            "calls": Field("calls", "input", annotation, "the calls made so far")},
                           {"answer": Field("answer", "output", str, None)}, "Answer from the calls.")


def _values(calls: list[dict], results) -> tuple:
    native = dspex.ToolCalls.from_dict_list(calls)
    reference = dspy.ToolCalls.from_dict_list(calls)
    if results is not None:
        native = dspex.ToolCalls(native.tool_calls, dspex.ToolCallResults(results))
        reference = dspy.ToolCalls(tool_calls=reference.tool_calls, tool_call_results=dspy.ToolCallResults(
            tool_call_results=[dspy.ToolCallResults.ToolCallResult(**r) for r in results]))
    return native, reference


@settings(max_examples=40, deadline=None)
@given(calls=CALLS, demo_calls=CALLS, results=RESULTS, adapter=st.sampled_from(["chat", "json", "xml"]),
       module=st.sampled_from(["predict", "chain_of_thought"]))
def test_a_tool_calls_input_is_written_as_dspy_writes_it(calls, demo_calls, results, adapter, module):
    sig = _sig()
    native_value, dspy_value = _values(calls, results)
    native_demo, dspy_demo = _values(demo_calls, None)
    reply = REPLIES[adapter] if module == "predict" else \
        {"chat": "[[ ## reasoning ## ]]\nr\n\n" + REPLIES["chat"], "json": '{"reasoning": "r", "answer": "done"}',
         "xml": "<reasoning>r</reasoning><answer>done</answer>"}[adapter]
    native = run_native(sig, module=module, adapter=adapter, replies=[reply],
                        demos=[{"question": "q", "calls": native_demo, "answer": "a"}],
                        inputs={"question": "What now?", "calls": native_value})
    reference = run_dspy(sig, module=module, adapter=adapter, replies=[reply],
                         demos=[{"question": "q", "calls": dspy_demo, "answer": "a"}],
                         inputs={"question": "What now?", "calls": dspy_value})
    assert_same_run(native, reference)
    assert "Type description of ToolCalls" in native[1][0].messages[0]["content"]


@pytest.mark.parametrize("given_as", ["dspy.ToolCalls", "list of dicts"])
def test_native_writes_dspy_values_and_plain_lists_as_dspy_does(given_as):
    calls = [{"name": "search", "args": {"q": "é"}, "id": "c1"}]
    value = dspy.ToolCalls.from_dict_list(calls) if given_as == "dspy.ToolCalls" else calls
    inputs = {"question": "What now?", "calls": value}
    assert_same_run(run_native(_sig(), inputs=inputs, replies=[REPLIES["chat"]]),
                    run_dspy(_sig(), inputs=inputs, replies=[REPLIES["chat"]]))


@pytest.mark.parametrize("annotation", [list[dspy.ToolCalls], Optional[dspy.ToolCalls]])
def test_a_tool_calls_inside_another_type_is_not_built(annotation):
    with pytest.raises(dspex.CapabilityError, match="ToolCalls inside another type"):
        dspex.create("predict", _sig(annotation), implementation="native")
