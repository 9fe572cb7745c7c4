"""Native tools without dspy: what the LM reads about a tool, and what DSPy's checks say.

The expected texts are dspy 3.4.1's (``dspy.Tool``, jsonschema 4.26, pydantic 2); the parity
suite (tests/parity/test_react_tools_parity.py) checks the same things against them on
generated functions, annotations and values.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Optional

import pytest

from dspex_native.tools import Tool, build_tools
from dspex_native.tools.schema import arg_schema, json_default, supported
from dspex_native.tools.validation import best_error, unsupported_keywords


def search(query: str, limit: Optional[int] = None, tags: list[str] = ("news",), mode: Literal["a", "b"] = "a",
           **extra: Any) -> list[str]:
    """Search the web.

    Returns titles."""
    return [query]


class Lookup:
    """Look a key up."""

    def __call__(self, key: str, table: dict[str, float] = {"pi": 3.14}) -> Any:  # noqa: B006
        return table.get(key)


def test_a_function_is_described_as_dspy_describes_it():
    tool = Tool(search)
    assert str(tool) == (
        # the raw docstring, newlines as two spaces (as dspy.Tool shows it; Python 3.13 dedents docstrings)
        "search, whose description is <desc>" + search.__doc__.replace("\n", "  ") + "</desc>. It takes arguments "
        "{'query': {'type': 'string'}, 'limit': {'anyOf': [{'type': 'integer'}, {'type': 'null'}], 'default': None}, "
        "'tags': {'items': {'type': 'string'}, 'type': 'array', 'default': ['news']}, "
        "'mode': {'enum': ['a', 'b'], 'type': 'string', 'default': 'a'}, 'extra': {}}.")
    assert tool.has_kwargs and tool.arg_types["limit"] == Optional[int] and tool.arg_types["extra"] is Any


def test_a_callable_object_is_named_after_its_class_and_an_undocumented_function_has_no_description():
    assert str(Tool(Lookup())) == ("Lookup, whose description is <desc>Look a key up.</desc>. It takes arguments "
                                   "{'key': {'type': 'string'}, 'table': {'additionalProperties': {'type': 'number'}, "
                                   "'type': 'object', 'default': {'pi': 3.14}}}.")

    def bare(x):
        return x

    assert str(Tool(bare)) == "bare. It takes arguments {'x': {}}."
    assert str(Tool(bare, name="renamed", desc="Line one\nline two", arg_desc={"x": "the x"})) == (
        "renamed, whose description is <desc>Line one  line two</desc>. It takes arguments "
        "{'x': {'description': 'the x'}}.")


@pytest.mark.parametrize("annotation, value, message", [
    (int, "x", "'x' is not of type 'integer'"),
    (int, True, "True is not of type 'integer'"),
    (int, 2.5, "2.5 is not of type 'integer'"),
    (int, 3.0, None),
    (Literal["a", "b"], "c", "'c' is not one of ['a', 'b']"),
    (Literal["a"], "b", "'a' was expected"),
    (list[int], [1, "a", "b"], "'b' is not of type 'integer'"),
    (list[Optional[int]], ["a"], "'a' is not valid under any of the given schemas"),
    (dict[str, Optional[list[int]]], {"k": ["a"]}, "'a' is not of type 'integer'"),
    (dict[str, int], {"a": "x", "b": "y"}, "'y' is not of type 'integer'"),
    (float, "1.5", "'1.5' is not of type 'number'"),
    (bool, 1, "1 is not of type 'boolean'"),
    (list[str], "abc", "'abc' is not of type 'array'"),
    (dict[str, int], [1], "[1] is not of type 'object'"),
    (dict[str, Any], {"a": object}, None),
])
def test_argument_checks_say_what_jsonschema_says(annotation, value, message):
    assert best_error(value, arg_schema(annotation)) == message


def test_a_call_checks_then_converts_then_calls():
    seen = []

    def record(x: float, n: int, tags: Optional[list[str]] = None) -> str:
        seen.append((x, n, tags))
        return "ok"

    tool = Tool(record)
    assert tool(x=1, n=2.0, tags=None) == "ok" and seen[-1] == (1.0, 2, None) and type(seen[-1][0]) is float
    assert asyncio.run(tool.acall(x=1.5, n=3)) == "ok" and seen[-1] == (1.5, 3, None)
    with pytest.raises(ValueError, match=r"^Arg n is invalid: 2.5 is not of type 'integer'$"):
        tool(x=1, n=2.5)
    with pytest.raises(ValueError, match=r"^Arg zz is not in the tool's args\.$"):
        tool(x=1, n=1, zz=0)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'n'"):
        tool(x=1)


def test_union_arguments_skip_the_schema_and_are_converted_as_pydantic_converts_them():
    def pick(value: Optional[int] = None) -> Any:
        return value

    tool = Tool(pick)
    assert tool(value="3") == 3 and tool(value=True) == 1 and tool(value=None) is None
    with pytest.raises(ValueError, match="Arg value is invalid: Input should be a valid integer"):
        tool(value="three")


def test_defaults_are_written_as_pydantic_writes_them():
    import enum
    from decimal import Decimal

    class Color(enum.Enum):
        RED = "red"

    assert json_default((1, "a")) == [1, "a"] and json_default({1: (2,)}) == {"1": [2]}
    assert json_default(b"raw") == "raw" and json_default(Color.RED) == "red" and json_default(Decimal("1.5")) == 1.5
    marker = object()
    assert json_default(marker) is marker and json_default([marker]) == [marker]


def test_what_native_can_describe():
    for annotation in (str, int, float, bool, None, Any, list, dict, list[int], dict[str, Any], Literal["a", 1],
                       Optional[list[str]], int | str):
        assert supported(annotation), annotation
    for annotation in (tuple[int, str], set[int], dict[int, str], Literal[None], complex, bytes):
        assert not supported(annotation), annotation
    assert unsupported_keywords({"type": "object", "properties": {}}) == ["properties"]
    assert unsupported_keywords({"items": {"type": "integer", "minimum": 0}, "type": "array"}) == ["minimum"]
    assert unsupported_keywords(arg_schema(dict[str, list[Optional[int]]])) == []


def test_build_tools_keeps_the_order_and_takes_ready_tools_as_they_are():
    ready = Tool(lambda q: q, name="echo", desc="Echo.", args={"q": {"type": "string"}}, arg_types={"q": str})
    tools = build_tools([search, ready, Lookup()])
    assert [t.name for t in tools] == ["search", "echo", "Lookup"] and tools[1] is ready
