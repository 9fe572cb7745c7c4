"""The native react module type's checks: every mistake in ``create``'s options, the tools or a
call is an error naming it, raised before any LM call (the dspy backend's rules and words)."""

from __future__ import annotations

import asyncio
import functools
import re
import sys
from datetime import date

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError, Signature
from dspex_core.testing import RecordingLM
from dspex_native.modules.react import implementation as react
from dspex_native.tools import Tool
from _react_helpers import ANSWER, add, step


# -- bad input, before any LM call ---------------------------------------------------------------

def _lambda_tool(x: int) -> int:
    return x


@pytest.mark.parametrize("tools, error, needle", [
    (None, InputError, "react needs tools=[...]"),
    ("add", InputError, "tools must be a list of Python callables"),
    ({"add": add}, InputError, "tools must be a list"),
    (["add"], InputError, "is a name, not a function: unknown tool name"),
    ([42], InputError, "is not callable"),
    ([add, add], InputError, "two tools are named 'add' (tools[0] and tools[1])"),
    ([lambda x: x], InputError, "has the name '<lambda>', which is not an identifier"),
    ([Tool(_lambda_tool, name="finish")], InputError, "may not be named 'finish'"),
    ([print], InputError, "takes *args"),
    ([functools.partial(add, 1)], InputError, "takes *args"),
    ([lambda *values: values], InputError, "takes *values"),
    ([Tool(_lambda_tool, name="bad name")], InputError, "which is not an identifier"),
])
def test_bad_tools_are_input_errors_naming_the_tool(tools, error, needle):
    with pytest.raises(error) as info:
        react.create("question -> answer", tools=tools)
    assert needle in str(info.value)


def test_a_tool_argument_type_read_with_pydantic_is_a_capability_error_without_it(monkeypatch):
    def when(day: date) -> str:
        return str(day)

    def pair(value: tuple[int, str]) -> str:
        return str(value)

    monkeypatch.setitem(sys.modules, "pydantic", None)  # as where it is not installed (dspy's envs have it)
    for tool, name in ((when, "date"), (pair, "tuple[int, str]")):
        with pytest.raises(CapabilityError, match=re.escape(f"reads the tool argument type {name} with pydantic "
                                                            f"(as dspy.Tool does), which is not installed")):
            react.create("question -> answer", tools=[tool])


def test_unresolvable_annotations_are_input_errors():
    def broken(x: "NoSuchType") -> str:  # noqa: F821
        return x

    with pytest.raises(InputError, match="cannot be used as a tool"):
        react.create("question -> answer", tools=[broken])


@pytest.mark.parametrize("spec, options, error, needle", [
    (None, {"tools": []}, InputError, "react needs a signature"),
    ("question -> answer", {"tools": [], "max_iters": 0}, InputError, "max_iters must be a positive integer"),
    ("question -> answer", {"tools": [], "max_iters": True}, InputError, "max_iters must be a positive integer"),
    ("question -> answer", {"tools": [], "max_iters": "3"}, InputError, "max_iters must be a positive integer"),
    ("question -> answer", {"tools": [], "tool": [add]}, InputError, "unknown option 'tool'"),
    ("question -> answer", {"tools": [], "adapter": "yaml"}, InputError, "adapter must be one of"),
    ("question -> answer", {"tools": [], "lm": "openai/gpt-4o"}, InputError, "lm must be dspex.LM"),
    ("question, trajectory -> answer", {"tools": []}, InputError, "adds the field 'trajectory'"),
    ("question -> reasoning, answer", {"tools": []}, InputError, "adds the field 'reasoning'"),
    ("question -> next_thought", {"tools": []}, InputError, "adds the field 'next_thought'"),
    ("question, max_iters -> answer", {"tools": []}, InputError, "'max_iters' as a call option"),
    (Signature("question -> answer: Opaque", custom_types={"Opaque": type("Opaque", (), {})}), {"tools": []},
     CapabilityError, "type Opaque"),
])
def test_bad_create_options_are_errors(spec, options, error, needle):
    with pytest.raises(error, match=None) as info:
        react.create(spec, **options)
    assert needle in str(info.value)


@pytest.mark.parametrize("inputs, options, needle", [
    ({}, {}, "missing input field(s) 'question'"),
    ({"questio": "q"}, {}, "unknown input field(s) 'questio' (did you mean 'question'?)"),
    (["q"], {}, "inputs must be a mapping"),
    ({"question": "q"}, {"demos": []}, "unknown call option(s) ['demos']"),
    ({"question": "q"}, {"max_iters": -1}, "max_iters must be a non-negative integer"),
    ({"question": "q"}, {"max_iters": 2.5}, "max_iters must be a non-negative integer"),
    ({"question": "q"}, {"config": [("temperature", 1)]}, "config must be a dict"),
    ({"question": "q"}, {"lm": "openai/gpt-4o"}, "lm must be dspex.LM"),
    ({"question": [1, 2]}, {}, "a list given to a str field must hold strings"),
])
def test_bad_calls_are_input_errors_before_any_lm_call(inputs, options, needle):
    lm = RecordingLM([step("finish"), ANSWER])
    state = react.create("question -> answer", tools=[add])
    with pytest.raises(InputError) as info:
        react.execute(state, inputs, **{"lm": lm, **options})
    assert needle in str(info.value) and lm.calls == []
    with pytest.raises(InputError):
        asyncio.run(react.aexecute(state, inputs, **{"lm": lm, **options}))
    assert lm.calls == []


def test_an_extra_input_is_ignored_with_a_warning():
    """The core's input rule (as DSPy warns): a name unlike any input is not sent, and said so."""
    lm = RecordingLM([step("finish"), ANSWER])
    state = react.create("question -> answer", tools=[add])
    with pytest.warns(dspex.InputWarning, match="'extra' not in the signature are ignored; the inputs are question"):
        react.execute(state, {"question": "q", "extra": "zzz-extra"}, lm=lm)
    assert len(lm.calls) == 2 and not any("zzz-extra" in m["content"] for c in lm.calls for m in c.messages)


def test_a_call_without_any_lm_says_how_to_configure_one():
    dspex.config.reset()
    with pytest.raises(InputError, match="no LM for this react call"):
        react.execute(react.create("question -> answer", tools=[add]), {"question": "q"})
