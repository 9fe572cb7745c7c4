"""Tools as an input field (``tools: list[dspy.Tool]``) on native against dspy 3.4: without native
function calling DSPy writes each tool as its ``str`` line, a list as the JSON list of the lines;
native's ``Tool`` of the same function writes the same, and native takes ``dspy.Tool`` values too."""

from __future__ import annotations

from typing import Literal, Optional

import dspy
import pytest

import dspex_core as dspex
from _dspy_oracle import assert_same_run, run_dspy, run_native
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_native.tools import Tool


def search(query: str, limit: int = 3) -> list[str]:
    """Search the web.
    Returns titles."""
    return []


def convert(amount: float, unit: Literal["kg", "lb"], note: Optional[str] = None) -> float:
    return amount


def _sig(annotation):
    return Signature._make({"question": Field("question", "input", str, None),
                            "tools": Field("tools", "input", annotation, "the tools at hand")},
                           {"answer": Field("answer", "output", str, None)}, None)


REPLIES = {"chat": "[[ ## answer ## ]]\nsearch\n\n[[ ## completed ## ]]", "json": '{"answer": "search"}',
           "xml": "<answer>search</answer>"}


@pytest.mark.parametrize("adapter", ["chat", "json", "xml"])
@pytest.mark.parametrize("many", [True, False])
def test_tool_inputs_are_rendered_as_dspy_renders_them(adapter, many):
    sig = _sig(list[dspy.Tool] if many else dspy.Tool)
    native_tools = [Tool(search), Tool(convert)] if many else Tool(search)
    dspy_tools = [dspy.Tool(search), dspy.Tool(convert)] if many else dspy.Tool(search)
    common = dict(replies=[REPLIES[adapter]], adapter=adapter,
                  demos=[{"question": "q", "tools": native_tools, "answer": "none"}])
    native = run_native(sig, inputs={"question": "Which tool?", "tools": native_tools}, **common)
    common["demos"] = [{"question": "q", "tools": dspy_tools, "answer": "none"}]
    reference = run_dspy(sig, inputs={"question": "Which tool?", "tools": dspy_tools}, **common)
    assert_same_run(native, reference)
    assert "search, whose description is <desc>Search the web." in native[1][0].messages[-1]["content"]


def test_native_takes_dspy_tool_values():
    sig = _sig(list[dspy.Tool])
    inputs = {"question": "Which tool?", "tools": [dspy.Tool(search)]}
    assert_same_run(run_native(sig, inputs=inputs, replies=[REPLIES["chat"]]),
                    run_dspy(sig, inputs=inputs, replies=[REPLIES["chat"]]))
