"""Tools as an input field: native renders each as its ``str`` line, as DSPy does without native
function calling (a ``ToolCalls`` output: tests/native/test_tool_calls_type.py)."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, Signature
from dspex_core._signature import Field
from dspex_core.testing import RecordingLM
from dspex_native.tools import Tool


def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


def test_a_list_of_tools_is_the_json_list_of_their_lines():
    sig = Signature._make({"tools": Field("tools", "input", list[Tool], None)},
                          {"answer": Field("answer", "output", str, None)}, None)
    lm = RecordingLM(["[[ ## answer ## ]]\nadd\n\n[[ ## completed ## ]]"])
    dspex.create("predict", sig, implementation="native", lm=lm)(tools=[Tool(add)])
    system, user = lm.calls[0].messages
    assert "1. `tools` (list[Tool]):" in system["content"]
    line = "add, whose description is <desc>Add two numbers.</desc>. It takes arguments " \
           "{'a': {'type': 'integer'}, 'b': {'type': 'integer', 'default': 1}}."
    assert user["content"].startswith(f'[[ ## tools ## ]]\n["{line}"]')


def test_a_tool_output_is_not_native():
    sig = Signature._make({"q": Field("q", "input", str, None)}, {"tool": Field("tool", "output", Tool, None)}, None)
    with pytest.raises(CapabilityError, match="Tool"):
        dspex.create("predict", sig, implementation="native")
