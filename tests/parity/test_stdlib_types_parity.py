"""Parity for the field types DSPy reads only through pydantic: Enum (valued by strings, by ints,
``IntEnum``), ``datetime``, ``date``, ``time``, ``timedelta``, ``Decimal``, ``UUID``, ``Path``,
``set[...]``, ``frozenset[...]``, ``dict[int, ...]``, ``Literal``s of floats, ``None``, Enum members
and bytes, and those inside ``list``, ``Optional``
and ``tuple``; a class pydantic cannot read is refused by both (native before anything is sent).

Hypothesis draws the signature (one or two such inputs and outputs, a str field now and then),
the module (predict, chain_of_thought), the adapter (chat, json, xml), a demo, the inputs and the
replies (the value as an LM writes it, an Enum member by name, junk, or the field left out). Per
case, through a recording LM on native and on real dspy: every message of every request (the type
names, the ``must be one of`` and JSON-schema notes, the rendered inputs and demos) and the outcome
(typed values, members and instances included, or the same parse error after as many requests).
Over HTTP, the JSON adapter's structured-outputs ``response_format`` is compared whole.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import pathlib
import typing
import uuid
import warnings
from typing import Any, Literal, Optional

import pydantic
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _loop_runs import assert_same, run_both
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")
warnings.filterwarnings("ignore", category=UserWarning, module="pydantic")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    DARK_BLUE = "dark blue"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Size(enum.IntEnum):
    S = 1
    M = 2
    L = 3


class Plain:
    """A class pydantic cannot read: DSPy cannot build a signature with a field of it."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return f"Plain<{self.text}>"


TEXT = st.text(st.characters(whitelist_categories=("L", "N", "Zs"), max_codepoint=0x2FFF), max_size=10)
DATETIMES = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1),
                         timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))]))
LEAVES: dict[Any, st.SearchStrategy] = {
    Color: st.sampled_from(list(Color)),
    Level: st.sampled_from(list(Level)),
    Size: st.sampled_from(list(Size)),
    dt.datetime: DATETIMES,
    dt.date: st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1)),
    dt.time: st.times(),
    dt.timedelta: st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
    decimal.Decimal: st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
    uuid.UUID: st.uuids(),
    pathlib.Path: st.sampled_from(["/tmp/a.txt", "rel/b", "c"]).map(pathlib.Path),
}
#: Literals whose options are not plain strings, ints and bools: DSPy reads them with pydantic
LITERALS = [Literal[0.5, 1.5], Literal["yes", None], Literal[Color.RED, Color.GREEN], Literal[Size.S, Size.L],
            Literal[1, 2.5, "x"], Literal[b"ok", "no"]]
LEAVES.update({kind: st.sampled_from(typing.get_args(kind)) for kind in LITERALS})
#: what a reply writes that no type here reads (or reads wrongly): the errors must match
JUNK = ["", "purple", "RED", "2", "[1, 2", "{}", "null", "yesterday", "2024-13-01", "12:61", "[\"a\", \"a\"]",
        "not-a-uuid", "1.5.2", "None", "1.50", "Literal[1.5]", "'red'", "Literal['yes']", "b'ok'", "2.5 "]


def _compound(leaf: Any, kind: str) -> Any:
    return {"leaf": leaf, "list": list[leaf], "optional": Optional[leaf], "tuple": tuple[leaf, int]}[kind]


@st.composite
def field_types(draw, leaves: tuple = tuple(LEAVES)) -> Any:
    kind = draw(st.sampled_from(["leaf", "leaf", "list", "optional", "tuple", "set", "frozenset", "dict"]))
    if kind == "set":
        return set[draw(st.sampled_from([int, str, Color]))]
    if kind == "frozenset":
        return frozenset[str]
    if kind == "dict":
        return dict[int, draw(st.sampled_from([str, Color, dt.date]))]
    return _compound(draw(st.sampled_from(leaves)), kind)


def values_of(annotation: Any) -> st.SearchStrategy:
    if annotation in LEAVES:
        return LEAVES[annotation]
    if annotation is str:
        return TEXT
    if annotation is int:
        return st.integers(0, 99)
    origin, args = getattr(annotation, "__origin__", None), getattr(annotation, "__args__", ())
    if origin is list:
        return st.lists(values_of(args[0]), max_size=2)
    if origin is set or origin is frozenset:
        return st.sets(values_of(args[0]), max_size=3).map(origin)
    if origin is tuple:
        return st.tuples(*(values_of(a) for a in args))
    if origin is dict:
        return st.dictionaries(st.integers(0, 9), values_of(args[1]), max_size=2)
    return st.one_of(st.none(), values_of(args[0]))  # Optional[leaf]


@st.composite
def signatures(draw, leaves: tuple = tuple(LEAVES)) -> Signature:
    inputs = {"question": Field("question", "input", str)}
    for name in draw(st.lists(st.sampled_from(["when", "items"]), max_size=2, unique=True)):
        desc = draw(st.sampled_from([None, "the data"]))
        inputs[name] = Field(name, "input", draw(field_types(leaves)), desc, None, True, {})
    outputs = {}
    for name in draw(st.lists(st.sampled_from(["answer", "result"]), min_size=1, max_size=2, unique=True)):
        outputs[name] = Field(name, "output", draw(field_types(leaves)), draw(st.sampled_from([None, "the result"])),
                              None, True, {})
    if draw(st.booleans()):
        outputs["summary"] = Field("summary", "output", str)
    return Signature.from_fields(inputs, outputs, draw(st.sampled_from([None, "Sort it out."])))


@st.composite
def inputs_for(draw, sig: Signature) -> dict[str, Any]:
    return {name: draw(values_of(field.annotation)) for name, field in sig.input_fields.items()}


def _written(annotation: Any, value: Any) -> Any:
    """The value as an LM writes it in JSON (pydantic's JSON form of it)."""
    return pydantic.TypeAdapter(annotation).dump_python(value, mode="json")


@st.composite
def reply_values(draw, outputs: dict[str, Field]) -> dict[str, tuple[str, Any]]:
    """Per output: ``("json", value)`` (a valid value in its JSON form), ``("text", text)``, or left out."""
    values = {}
    for name, field in outputs.items():
        mode = draw(st.sampled_from(["ok", "ok", "ok", "name", "junk", "missing"]))
        if field.annotation is str:
            values[name] = ("text", draw(TEXT))
        elif mode == "ok" or (mode == "name" and not isinstance(field.annotation, enum.EnumMeta)):
            values[name] = ("json", _written(field.annotation, draw(values_of(field.annotation))))
        elif mode == "name":  # an auto-valued enum's LM answers with the member's name
            values[name] = ("text", draw(st.sampled_from(list(field.annotation))).name)
        elif mode == "junk":
            values[name] = ("text", draw(st.sampled_from(JUNK)))
    return values


def chat_reply(values: dict[str, tuple[str, Any]]) -> str:
    parts = [f"[[ ## {name} ## ]]\n{value if kind == 'text' or isinstance(value, str) else json.dumps(value)}"
             for name, (kind, value) in values.items()]
    return "\n\n".join(parts + ["[[ ## completed ## ]]"])


def json_reply(values: dict[str, tuple[str, Any]]) -> str:
    return json.dumps({name: value for name, (kind, value) in values.items()}, ensure_ascii=False)


def xml_reply(values: dict[str, tuple[str, Any]]) -> str:
    def text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    return "\n".join(f"<{name}>{text(value)}</{name}>" for name, (_, value) in values.items())


REPLY = {"chat": chat_reply, "json": json_reply, "xml": xml_reply}


@st.composite
def cases(draw, leaves: tuple = tuple(LEAVES)) -> dict[str, Any]:
    sig = draw(signatures(leaves))
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    adapter = draw(st.sampled_from(["chat", "json", "xml"]))
    outputs = dict(sig.output_fields)
    if module == "chain_of_thought":
        outputs = {"reasoning": Field("reasoning", "output", str), **outputs}
    replies = [REPLY[adapter](draw(reply_values(outputs))), json_reply(draw(reply_values(outputs)))]
    demos = []
    if draw(st.booleans()):
        demo = draw(inputs_for(sig))
        demo.update({name: draw(values_of(field.annotation)) for name, field in sig.output_fields.items()})
        demos.append(demo)
    return dict(sig=sig, module=module, adapter=adapter, inputs=draw(inputs_for(sig)), replies=replies, demos=demos)


def check_case(case: dict[str, Any]) -> None:
    """The case on native and on real dspy through a recording LM: every message, the outcome."""
    def build(backend: str):
        return dspex.create(case["module"], case["sig"], implementation=backend, adapter=case["adapter"],
                            demos=[dspex.Example(**d) for d in case["demos"]])

    native, reference = run_both(build, [case["inputs"]], case["replies"])
    assert_same(native, reference)
    event(f"{case['adapter']}: {native.outcome[0]} after {len(native.calls)} request(s)")


@settings(max_examples=40, deadline=None)
@given(cases())
def test_stdlib_typed_fields_prompt_and_parse_as_on_dspy(case):
    check_case(case)


@settings(max_examples=40, deadline=None)
@given(cases(tuple(LITERALS)))
def test_literals_of_floats_none_members_and_bytes_prompt_and_parse_as_on_dspy(case):
    """Native reads these Literals with pydantic, as DSPy reads every Literal: the options' names in
    the field list, the ``must exactly match`` note, the JSON schema of a list or tuple of them, and
    a reply's value, quoted or wrapped as ``Literal[...]``, read to the option itself."""
    check_case(case)


def test_an_enum_output_is_named_with_its_values_and_read_by_value_or_name():
    sig = Signature.from_fields({"question": Field("question", "input", str)},
                                {"color": Field("color", "output", Color)}, None)

    def build(backend: str):
        return dspex.create("predict", sig, implementation=backend)

    for reply, member in (("dark blue", Color.DARK_BLUE), ("GREEN", Color.GREEN)):
        native, reference = run_both(build, [{"question": "q"}], [chat_reply({"color": ("text", reply)})])
        assert_same(native, reference)
        assert native.outcome[1] == (("dict", ((("str", "color"), ("Color", member)),)))
        assert "must be one of: red; green; dark blue" in native.calls[0].messages[0]["content"]


@pytest.mark.parametrize("reply, member", [("<answer>1</answer>", Size.S), ("<answer>M</answer>", Size.M)])
def test_the_xml_adapter_reads_an_int_enum_as_dspy_does(reply, member):
    """DSPy's XMLAdapter retries pydantic's validation only after pydantic's own error: the text
    ``1`` is no IntEnum member by value or name there, so both fall back to the JSON adapter."""
    sig = Signature.from_fields({"question": Field("question", "input", str)},
                                {"answer": Field("answer", "output", Size)}, None)

    def build(backend: str):
        return dspex.create("predict", sig, implementation=backend, adapter="xml")

    native, reference = run_both(build, [{"question": "q"}], [reply, '{"answer": 3}'])
    assert_same(native, reference)
    assert native.outcome[1] == ("dict", ((("str", "answer"), ("Size", Size.L if reply.endswith("1</answer>")
                                                                  else member)),))


@pytest.mark.parametrize("kind", ["input", "output"])
def test_a_type_pydantic_cannot_read_is_refused_by_both(kind):
    fields = {"question": Field("question", "input", str), "thing": Field("thing", kind, Plain)}
    sig = Signature.from_fields({k: f for k, f in fields.items() if f.kind == "input"},
                                {"answer": Field("answer", "output", str),
                                 **{k: f for k, f in fields.items() if f.kind == "output"}}, None)
    with pytest.raises(dspex.CapabilityError, match=r"type Plain \({} field 'thing'\): pydantic cannot read "
                       r"it \(PydanticSchemaGenerationError\)".format(kind)):
        dspex.create("predict", sig, implementation="native")(question="q", thing=Plain("x"), lm=dspex.LM("openai/x"))
    with pytest.raises(pydantic.PydanticSchemaGenerationError):
        dspex.create("predict", sig, implementation="dspy")


# -- over HTTP: the structured-outputs schema -------------------------------------------------------

KEY = "sk-test-stdlib-types-0123456789"


@pytest.fixture(scope="module")
def served():
    replies: list[str] = []
    with LocalLMServer(lambda messages, settings: [replies.pop(0)]) as server:
        yield server, replies


@settings(max_examples=8, deadline=None)
@given(cases(), st.sampled_from([{}, {"engine": "litellm"}]))
def test_structured_outputs_request_for_these_types_as_on_dspy(served, case, lm_settings):
    server, replies = served
    sides = []
    for backend in ("native", "dspy"):
        server.reset()
        replies[:] = [case["replies"][-1]]
        ref = dspex.create(case["module"], case["sig"], implementation=backend, adapter="json")
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                      **lm_settings)
        try:
            pred = ref(**case["inputs"], lm=lm)
            outcome: tuple = ("ok", {k: pred[k] for k in pred.keys()})
        except dspex.AdapterParseError:
            outcome = ("parse_error",)
        sides.append((outcome, [r["body"] for r in server.chat_requests]))
    (mine, my_bodies), (theirs, their_bodies) = sides
    assert my_bodies == their_bodies  # whole bodies: messages, response_format, ...
    assert mine == theirs
    event(f"response_format {my_bodies[0].get('response_format', {}).get('type')}")
