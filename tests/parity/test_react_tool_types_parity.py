"""Native tools against ``dspy.Tool`` for the argument types both read with pydantic: models
(nested, optional, in lists), ``Enum``, ``datetime``, ``date``, ``Decimal``, ``UUID``, ``tuple``,
``set``, ``frozenset``, ``dict[int, ...]``.

Hypothesis draws the argument types (models made by ``pydantic.create_model``), writes a function
taking them (some with defaults), and draws the arguments an LM might pick (valid values in their
JSON form, values of the wrong type or shape, unknown names). Native must give what DSPy gives:
the same ``str(tool)`` (the line in ReAct's instructions, with pydantic's schema, ``$ref``\\ s
resolved), argument schemas (key order included) and types, and for a call the same result (the
converted values: model instances, members, dates) or the same error, type and text: jsonschema's
message for a schema violation, pydantic's ``ValidationError`` for a failed conversion. A ReAct
run that calls such a tool sends the same requests on both backends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import enum
import json
import uuid
import warnings
from typing import Any, Optional

import dspy
import pydantic
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import typed
from _typed_strategies import models
from dspex_core.testing import RecordingLM
from dspex_core.testing.conformance._masks import tool_traceback
from dspex_native.tools import Tool

warnings.filterwarnings("ignore", module="dspy")
warnings.filterwarnings("ignore", category=UserWarning, module="pydantic")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


SIMPLE = [Color, Level, dt.datetime, dt.date, decimal.Decimal, uuid.UUID, tuple[int, str], set[int], frozenset[str],
          dict[int, str], list[Color], Optional[dt.date]]


@st.composite
def arg_types(draw) -> Any:
    kind = draw(st.sampled_from(["simple", "simple", "model", "list_model", "optional_model"]))
    if kind == "simple":
        return draw(st.sampled_from(SIMPLE))
    model = draw(models())
    return {"model": model, "list_model": list[model], "optional_model": Optional[model]}[kind]


def _valid(annotation: Any) -> st.SearchStrategy:
    """Valid values of ``annotation`` in their JSON form (what an LM writes)."""
    if annotation is Color or annotation is Level:
        return st.sampled_from([m.value for m in annotation])
    if annotation is dt.datetime:
        return st.sampled_from(["2024-01-02T03:04:05", "2024-01-02T03:04:05Z", "2024-01-02"])
    if annotation is dt.date:
        return st.sampled_from(["2024-01-02", "1999-12-31"])
    if annotation is decimal.Decimal:
        return st.sampled_from(["1.50", 2, 0.25])
    if annotation is uuid.UUID:
        return st.uuids().map(str)
    return _by_pydantic(annotation)


def _by_pydantic(annotation: Any) -> st.SearchStrategy:
    from _typed_strategies import values_of

    origin, args = getattr(annotation, "__origin__", None), getattr(annotation, "__args__", ())
    if origin in (set, frozenset):
        return st.lists(st.integers(0, 5) if args[0] is int else st.sampled_from(["a", "b"]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.integers(0, 5).map(str), st.sampled_from(["x", "y"]), max_size=2)
    if origin is list and args[0] is Color:
        return st.lists(st.sampled_from(["red", "green"]), max_size=2)
    if origin is tuple:
        return st.tuples(st.integers(0, 5), st.sampled_from(["a", "b"])).map(list)
    if annotation == Optional[dt.date]:
        return st.sampled_from([None, "2024-01-02"])
    return values_of(annotation).map(lambda v: pydantic.TypeAdapter(annotation).dump_python(v, mode="json"))


WRONG = st.sampled_from([None, 0, -1, 2.5, "", "blue", "2024-13-40", "yesterday", [], [1, 1], ["x"], {}, {"name": 1},
                         {"name": "n", "age": "old"}, "not-a-uuid", True])


@st.composite
def tools_and_calls(draw) -> tuple[str, Any, dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(["item", "when", "who", "level"]), min_size=1, max_size=3, unique=True))
    namespace: dict[str, Any] = {}
    params, kwargs = [], {}
    for index, name in enumerate(names):
        annotation = draw(arg_types())
        namespace[f"T{index}"] = annotation
        has_default = index == len(names) - 1 and draw(st.booleans())
        params.append(f"{name}: T{index}" + (" = None" if has_default else ""))
        mode = draw(st.sampled_from(["valid", "valid", "valid", "wrong", "absent"]))
        if mode == "valid":
            kwargs[name] = draw(_valid(annotation))
        elif mode == "wrong":
            kwargs[name] = draw(WRONG)
        elif not has_default and draw(st.booleans()):
            kwargs[name] = draw(_valid(annotation))
    if draw(st.integers(0, 6)) == 0:
        kwargs["unknown"] = 1
    source = (f"def book({', '.join(params)}) -> str:\n    'Book it.'\n"
              f"    return repr(({', '.join(names)},))\n")
    exec(source, namespace)  # noqa: S102 - the test writes the function
    return source, namespace["book"], kwargs


def _outcome(call: Any) -> tuple:
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - compared with the other side's
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=60, deadline=None)
@given(tools_and_calls())
def test_a_tool_with_pydantic_read_arguments_is_described_and_called_as_dspy_does(case):
    source, func, kwargs = case
    mine, theirs = Tool(func), dspy.Tool(func)
    assert str(mine) == str(theirs), source
    assert repr(mine.args) == repr(theirs.args)
    assert mine.arg_types == theirs.arg_types
    outcome = _outcome(lambda: mine(**kwargs))
    assert outcome == _outcome(lambda: theirs(**kwargs)), (source, kwargs)
    assert _outcome(lambda: asyncio.run(mine.acall(**kwargs))) == outcome
    event(f"{outcome[0]} {outcome[1] if outcome[0] == 'error' else ''}".strip())


# -- a whole ReAct run ----------------------------------------------------------------------------

class Guest(pydantic.BaseModel):
    name: str
    nights: int = 1


def reserve(guest: Guest, day: dt.date, color: Color = Color.RED) -> str:
    """Reserve a room."""
    return f"{guest.name} x{guest.nights} on {day.isoformat()} ({color.value})"


def _react_run(backend: str, args: dict[str, Any]) -> tuple:
    step = "[[ ## next_thought ## ]]\n{t}\n\n[[ ## next_tool_name ## ]]\n{n}\n\n[[ ## next_tool_args ## ]]\n{a}" \
           "\n\n[[ ## completed ## ]]"
    lm = RecordingLM([step.format(t="book it", n="reserve", a=json.dumps(args)),
                      step.format(t="done", n="finish", a="{}"),
                      "[[ ## reasoning ## ]]\nbooked\n\n[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"])
    agent = dspex.create("react", "request -> answer", tools=[reserve], implementation=backend)
    pred = agent(request="a room", lm=lm)
    trajectory = {k: tool_traceback(v) if isinstance(v, str) else v for k, v in pred.trajectory.items()}
    return typed(trajectory), [[tool_traceback(m["content"]) for m in c.messages] for c in lm.calls]


@settings(max_examples=12, deadline=None)
@given(st.fixed_dictionaries({"guest": st.sampled_from([{"name": "Ada"}, {"name": "Bo", "nights": 3}, {"nights": 2},
                                                        "Ada"]),
                              "day": st.sampled_from(["2024-05-06", "06/05/2024", 20240506])},
                             optional={"color": st.sampled_from(["green", "GREEN", 1])}))
def test_react_calls_such_a_tool_as_dspy_does(args):
    native, reference = _react_run("native", args), _react_run("dspy", args)
    assert native == reference
    event("tool error" if "Execution error" in str(native[0]) else "tool ran")
