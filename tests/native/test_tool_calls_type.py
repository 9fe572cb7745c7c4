"""``dspex.ToolCalls``: DSPy's ToolCalls without pydantic, as a native output field type."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import InputError, InputField, OutputField, Signature
from dspex_core.testing import RecordingLM
from dspex_native.tools import Tool


def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


class Plan(Signature):
    """Pick the calls."""

    question: str = InputField()
    tools: list[Tool] = InputField()
    calls: dspex.ToolCalls = OutputField()


@pytest.mark.parametrize("value", [
    {"tool_calls": [{"name": "add", "args": {"a": 1}}]},
    [{"name": "add", "arguments": {"a": 1}}],
    {"name": "add", "arguments": '{"a": 1}'},
    {"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}]},
])
def test_every_shape_dspy_reads_is_read(value):
    calls = dspex.ToolCalls.of(value)
    assert calls.format() == {"tool_calls": [{"name": "add", "args": {"a": 1}}]}
    assert calls.tool_calls[0].execute([Tool(add)]) == 2
    assert calls.tool_calls[0].execute({"add": add}) == 2


@pytest.mark.parametrize("value", [3, "add", [1, 2], {"tool_calls": [{"name": 3, "args": {}}]}, {"other": 1}])
def test_anything_else_is_an_input_error(value):
    with pytest.raises(InputError):
        dspex.ToolCalls.of(value)


def test_an_unknown_tool_is_named():
    call = dspex.ToolCalls.from_dict_list([{"name": "nope", "args": {}}]).tool_calls[0]
    with pytest.raises(ValueError, match="'nope' not found"):
        call.execute({"add": add})


def test_a_tool_calls_output_is_described_asked_for_and_read():
    reply = '[[ ## calls ## ]]\n{"tool_calls": [{"name": "add", "args": {"a": 2, "b": 3}}]}\n\n[[ ## completed ## ]]'
    lm = RecordingLM([reply])
    pred = dspex.create("predict", Plan, implementation="native", lm=lm)(question="5?", tools=[Tool(add)])
    assert pred.calls == dspex.ToolCalls.from_dict_list([{"name": "add", "args": {"a": 2, "b": 3}}])
    assert pred.calls.tool_calls[0].execute([Tool(add)]) == 5
    system, user = lm.calls[0].messages
    assert "1. `calls` (ToolCalls): \n    Type description of ToolCalls: Tool calls must be a JSON object" in system["content"]
    assert '"required": ["tool_calls"], "title": "ToolCalls"}' in system["content"]
    assert user["content"].endswith('`[[ ## calls ## ]]` (must be a JSON object like {"tool_calls": [{"name": "...", '
                                    '"args": {...}}]}), and then ending with the marker for `[[ ## completed ## ]]`.')


def test_a_tool_calls_input_is_written_as_its_json_and_one_inside_a_list_is_not_native():
    from dspex_core._signature import Field

    def sig(annotation):
        return Signature._make({"calls": Field("calls", "input", annotation, None)},
                               {"answer": Field("answer", "output", str, None)}, None)

    lm = RecordingLM("[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]")
    calls = dspex.ToolCalls.from_dict_list([{"name": "search", "args": {"q": "é"}, "id": "c1"}])
    assert dspex.create("predict", sig(dspex.ToolCalls), implementation="native", lm=lm)(calls=calls).answer == "ok"
    system, user = lm.calls[-1].messages
    assert "`calls` (ToolCalls): \n    Type description of ToolCalls:" in system["content"]
    assert user["content"].startswith('[[ ## calls ## ]]\n{"tool_calls": [{"name": "search", "args": {"q": "é"}}]}')
    with pytest.raises(dspex.CapabilityError, match="ToolCalls inside another type"):
        dspex.create("predict", sig(list[dspex.ToolCalls]), implementation="native")
