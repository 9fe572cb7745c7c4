"""Native tools against ``dspy.Tool``: what the LM reads about a tool, and what a call does.

Hypothesis writes Python functions (argument names, annotations, defaults, keyword-only
arguments, ``**kwargs``, docstrings of one or more lines), and draws annotations and JSON values
on their own. For each, native must give what DSPy gives: the same ``str(tool)`` (the line in
ReAct's instructions), argument schemas (pydantic's ``TypeAdapter(...).json_schema()``, key
order included) and types; the same verdict and message as jsonschema's ``validate`` for an
argument; the same converted value as pydantic's lax validation (or a failure on both); and
the same result or error for a whole call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import enum
import json
import pathlib
import typing
import uuid
import warnings
from typing import Any, Literal, Optional, Union

import dspy
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, create_model

from _dspy_oracle import typed
from dspex_native.adapters._coerce import validate as native_convert
from dspex_native.tools import Tool, build_tools
from dspex_native.tools.schema import arg_schema, json_default
from dspex_native.tools.validation import best_error

warnings.filterwarnings("ignore", module="dspy")

SCALARS = [str, int, float, bool, type(None), Any, list, dict]
LITERALS = [Literal["a", "b"], Literal["x"], Literal[1, 2], Literal[True], Literal["a", 1], Literal["it's", "plain"],
            Literal[0, 1]]


#: The unions tools declare (pydantic's smart mode on arbitrary unions, such as ``bool | Literal[1, 2]``,
#: is not what is checked here: the adapters' reading of such unions is the adapters' own parity).
UNIONS = [Union[int, str], Union[str, int], Union[int, float], Union[float, int], Union[int, bool], Union[bool, str],
          Union[str, list[str]], Union[list[int], dict[str, int]], Union[int, list[int]], Union[str, Literal["a", "b"]],
          Union[int, str, None]]

annotations = st.recursive(
    st.sampled_from(SCALARS + LITERALS + UNIONS),
    lambda inner: st.one_of(
        inner.map(lambda t: list[t]),
        inner.map(lambda t: dict[str, t]),
        inner.map(lambda t: Optional[t]),
    ),
    max_leaves=3,
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5, -1.5, 1e20]),
              st.sampled_from(["", "a", "b", "x", "1", "2.0", " 3 ", "yes", "it's", "true", "None"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "k"]), inner, max_size=3)),
    max_leaves=6,
)


def _pydantic_convert(annotation: Any, value: Any) -> tuple:
    wrapper = create_model("Wrapper", value=(annotation, ...))
    try:
        return ("ok", typed(wrapper.model_validate({"value": value}).value))
    except Exception:  # noqa: BLE001
        return ("error",)


def _native_convert(annotation: Any, value: Any) -> tuple:
    try:
        return ("ok", typed(native_convert(annotation, value)))
    except ValueError:
        return ("error",)


@given(annotations)
def test_argument_schemas_are_pydantics_with_its_key_order(annotation):
    expected = TypeAdapter(annotation).json_schema()
    assert repr(arg_schema(annotation)) == repr(expected)


@given(annotations, json_values)
def test_argument_validation_says_what_jsonschema_says(annotation, value):
    schema = TypeAdapter(annotation).json_schema()
    try:
        jsonschema.validate(instance=value, schema=schema)
        expected = None
    except jsonschema.ValidationError as exc:
        expected = exc.message
    assert best_error(value, schema) == expected


@given(annotations, json_values)
def test_argument_conversion_is_pydantics_for_accepted_arguments(annotation, value):
    schema = TypeAdapter(annotation).json_schema()
    if schema.get("type") is not None and best_error(value, schema) is not None:
        return  # refused before conversion, on both backends (checked above)
    expected = _pydantic_convert(annotation, value)
    if expected[0] == "error":
        # Known difference: the error text (pydantic's ValidationError vs native's ValueError).
        assert _native_convert(annotation, value)[0] == "error"
    else:
        assert _native_convert(annotation, value) == expected


DEFAULTS = [None, 0, -2, 1.5, "x", "it's", True, False, [1, 2], (1, "a"), {"a": 1}, {1: "a"}, {True: 1}, b"raw",
            frozenset([3]), [(1, 2)], float("inf")]


@pytest.mark.parametrize("value", DEFAULTS, ids=repr)
def test_defaults_are_written_as_dspy_writes_them(value):
    from dspy.adapters.types.tool import _to_json_default

    assert repr(json_default(value)) == repr(_to_json_default(value))


def test_a_default_pydantic_cannot_convert_is_kept_as_it_is():
    from dspy.adapters.types.tool import _to_json_default

    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    value = Opaque()
    assert json_default(value) is value and _to_json_default(value) is value


# -- functions written by hypothesis ------------------------------------------------------------

TYPE_TEXT = ["str", "int", "float", "bool", "list[str]", "list[int]", "dict[str, int]", "dict[str, Any]",
             "Optional[int]", "Union[int, str]", "Literal['a', 'b']", "Any", "list", "dict", "int | None",
             "Optional[list[str]]", None]
DEFAULT_TEXT = [None, "None", "0", "3", "1.5", "'x'", "\"it's\"", "True", "[1, 2]", "{'a': 1}", "('a', 1)", "-1"]
DOCS = [None, "One line.", "Two lines.\n\n    More text here.", "  Leading space and\ttab.", "Ends with newline.\n",
        "Multi\n    line\n        indented\n    doc"]


@st.composite
def functions(draw) -> tuple[str, Any]:
    names = draw(st.lists(st.sampled_from(["a", "b", "city", "query", "n", "flag", "items", "x_1"]), max_size=4,
                          unique=True))
    params, seen_default, keyword_only = [], False, False
    for name in names:
        annotation = draw(st.sampled_from(TYPE_TEXT))
        default = draw(st.sampled_from(DEFAULT_TEXT)) if draw(st.booleans()) or seen_default else None
        if default is None and seen_default and not keyword_only:
            default = "None"
        if not keyword_only and params and draw(st.integers(0, 4)) == 0:
            params.append("*")
            keyword_only = True
        seen_default = seen_default or default is not None
        text = name + (f": {annotation}" if annotation else "") + (f" = {default}" if default is not None else "")
        params.append(text)
    if draw(st.integers(0, 5)) == 0:
        params.append("**kwargs" + draw(st.sampled_from(["", ": int", ": Any"])))
    fname = draw(st.sampled_from(["tool", "get_weather", "search_web", "f"]))
    doc = draw(st.sampled_from(DOCS))
    body = f"    {doc!r}\n" if doc is not None else ""
    source = f"def {fname}({', '.join(params)}) -> str:\n{body}    return 'ok'\n"
    namespace: dict[str, Any] = {"Any": Any, "Optional": Optional, "Union": Union, "Literal": Literal}
    exec(source, namespace)  # noqa: S102 - the test writes the function
    return source, namespace[fname]


@given(functions())
def test_a_function_is_described_to_the_lm_as_dspy_describes_it(written):
    source, func = written
    mine, theirs = Tool(func), dspy.Tool(func)
    assert str(mine) == str(theirs), source
    assert repr(mine.args) == repr(theirs.args)
    assert mine.arg_types == theirs.arg_types
    assert mine.has_kwargs == theirs.has_kwargs and mine.name == theirs.name and mine.desc == theirs.desc


def _outcome(fn: Any) -> tuple:
    try:
        return ("ok", typed(fn()))
    except Exception as exc:  # noqa: BLE001
        text = str(exc)
        if type(exc).__name__ == "ValidationError" and type(exc).__module__.startswith("pydantic"):
            return ("error", "conversion")  # known difference: pydantic's text vs native's
        if isinstance(exc, ValueError) and ": Input should be " in text:
            return ("error", "conversion")
        return ("error", type(exc).__name__, text)


@given(functions(), st.dictionaries(st.sampled_from(["a", "b", "city", "query", "n", "flag", "items", "x_1", "zz"]),
                                    json_values, max_size=4))
def test_calling_a_tool_validates_converts_and_fails_as_dspy_does(written, kwargs):
    source, func = written
    mine, theirs = Tool(func), dspy.Tool(func)
    assert _outcome(lambda: mine(**kwargs)) == _outcome(lambda: theirs(**kwargs)), source
    assert _outcome(lambda: asyncio.run(mine.acall(**kwargs))) == _outcome(lambda: asyncio.run(theirs.acall(**kwargs)))


def test_an_async_tool_called_synchronously_is_refused_with_dspys_words():
    async def ping(host: str) -> str:
        return host

    with pytest.raises(ValueError) as mine:
        Tool(ping)(host="h")
    with pytest.raises(ValueError) as theirs:
        dspy.Tool(ping)(host="h")
    assert str(mine.value) == str(theirs.value)
    assert asyncio.run(Tool(ping).acall(host="h")) == asyncio.run(dspy.Tool(ping).acall(host="h")) == "h"


def test_a_dspy_tool_object_is_taken_with_its_own_name_description_and_schema():
    def raw(x: int, y: str = "q") -> str:
        return f"{x}{y}"

    given_tool = dspy.Tool(raw, name="renamed", desc="Custom description.\nTwo lines.",
                           args={"x": {"type": "integer", "description": "an x"}}, arg_types={"x": int})
    (mine,) = build_tools([given_tool])
    assert str(mine) == str(given_tool)
    assert mine(x=2) == given_tool(x=2) == "2q"
    with pytest.raises(ValueError, match="Arg y is not in the tool's args"):
        mine(x=1, y="z")


def test_a_callable_object_is_named_after_its_class_and_described_by_its_docstring():
    class Lookup:
        """Look a key up."""

        def __call__(self, key: str, default: Optional[int] = None) -> Any:
            return default

    obj = Lookup()
    assert str(Tool(obj)) == str(dspy.Tool(obj))
    assert json.dumps(Tool(obj).args) == json.dumps(dspy.Tool(obj).args)
    assert typing.get_type_hints(Lookup.__call__)["default"] == Tool(obj).arg_types["default"]


# -- tool results in the trajectory -----------------------------------------------------------------

class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Hit:
    title: str
    when: datetime.date
    score: float = 0.5


class Opaque:
    def __str__(self) -> str:
        return "opaque thing"

    def __repr__(self) -> str:  # a stable test id (pytest-xdist's workers must collect the same names)
        return "Opaque()"


RESULTS = [None, True, 3, -1.5, float("inf"), "text", b"bytes", (1, "a"), {1, 2}, frozenset(), {"a": [1, None]},
           {1: "one", None: 0, True: "yes"}, Color.RED, Level.HIGH, [Color.RED, 2], ["a", "b\nc"], [], ["«x»"],
           [[1, 2], {"k": "v"}], datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.date(2024, 1, 2),
           datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc), datetime.time(1, 2, 3),
           uuid.UUID(int=7), decimal.Decimal("1.50"), pathlib.Path("/tmp/x"), Hit("t", datetime.date(2024, 5, 6)),
           {"hits": [Hit("u", datetime.date(2024, 1, 1), 1.0)]}, [float("nan")], complex(1, 2), Opaque(),
           {"x": Opaque()}, range(3), (float("nan"),), {"when": datetime.date(2024, 1, 1), "level": Level.HIGH}]


def _same_text(value):
    """``format_value`` gives dspy's ``format_field_value`` text, or fails as it fails."""
    from dspy.adapters.utils import format_field_value

    from dspex_native.react.trajectory import format_value

    field = dspy.InputField()
    field.annotation = str
    try:
        expected = format_field_value(field, value)
    except (TypeError, AttributeError) as exc:  # a list of non-texts: DSPy's blobs fail, native's the same way
        with pytest.raises(type(exc)):
            format_value(value)
        return
    assert format_value(value) == expected


@pytest.mark.parametrize("value", RESULTS, ids=repr)
def test_tool_results_are_written_into_the_trajectory_as_dspy_writes_them(value):
    _same_text(value)


@given(json_values)
def test_json_tool_results_are_written_as_dspy_writes_them(value):
    _same_text(value)
