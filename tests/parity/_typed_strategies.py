"""Hypothesis strategies for typed signatures: random pydantic models (``pydantic.create_model``,
nested, with optional fields, constraints and defaults), tuples and unions of them, values of
those types, and LM replies (well-formed or malformed) for the chat and JSON adapters.

Each drawn model is a new class; both backends get the same class, so their prompts (which
name it and show its JSON schema) and their parsed values (instances of it) can be compared.
"""

from __future__ import annotations

import itertools
import json
import typing
from typing import Any, Optional, Union

import pydantic
from hypothesis import strategies as st

from dspex_core import Signature
from dspex_core._signature import Field

_serial = itertools.count()
SAFE = st.text(st.characters(whitelist_categories=("L", "N", "Zs"), max_codepoint=0x2FFF), max_size=12)
MEMBER_NAMES = ["name", "age", "city", "tags", "score", "note", "kind", "pair", "ratio", "ok"]
#: Replies no type here reads (or reads wrongly): pydantic's errors must match, and so must the fallbacks.
JUNK = ["", "not json", "{", "[1, 2", '{"x": 1}', "null", "[]", "{}", '{"name": 5}', "[1, \"a\", 3]", "42",
        "Person(name='x')", '["a", "b"]', "true"]


def _leaf_types() -> list[Any]:
    return [str, int, float, bool, Optional[int], list[str], tuple[int, str], tuple[str, ...]]


@st.composite
def models(draw, depth: int = 0) -> type:
    """A new pydantic model: 1-3 members of scalar, list, tuple, optional or (once) nested model
    types, some with ``ge=``/``max_length=`` constraints, descriptions or defaults."""
    names = draw(st.lists(st.sampled_from(MEMBER_NAMES), min_size=1, max_size=3, unique=True))
    members: dict[str, Any] = {}
    for name in names:
        choices = _leaf_types() + (["model", "list_model", "optional_model"] if depth == 0 else [])
        kind = draw(st.sampled_from(choices))
        if kind == "model":
            annotation = draw(models(depth + 1))
        elif kind == "list_model":
            annotation = list[draw(models(depth + 1))]
        elif kind == "optional_model":
            annotation = Optional[draw(models(depth + 1))]
        else:
            annotation = kind
        options: dict[str, Any] = {}
        if annotation is int and draw(st.booleans()):
            options["ge"] = 0
        if annotation in (str, list[str]) and draw(st.booleans()):
            options["max_length"] = 30
        if draw(st.booleans()):
            options["description"] = draw(st.sampled_from(["what it is", "a value, in short", "ünïcode"]))
        default = _default_for(annotation)
        if default is not _NO_DEFAULT and draw(st.booleans()):
            options["default"] = default
        members[name] = (annotation, pydantic.Field(**options))
    return pydantic.create_model(f"Model{next(_serial)}", **members)


_NO_DEFAULT = object()


def _default_for(annotation: Any) -> Any:
    return {str: "", int: 0, float: 0.5, bool: False, Optional[int]: None, list[str]: [], tuple[int, str]: (0, ""),
            tuple[str, ...]: ()}.get(annotation, None if typing.get_origin(annotation) is Union else _NO_DEFAULT)


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def values_of(annotation: Any) -> st.SearchStrategy:
    """Valid values of ``annotation`` (models as instances, constraints respected)."""
    if annotation is str:
        return SAFE
    if annotation is int:
        return st.integers(0, 99)
    if annotation is float:
        return st.sampled_from([0.0, 1.5, -2.25, 3.0])
    if annotation is bool:
        return st.booleans()
    if is_model(annotation):
        members = {name: values_of(info.annotation) for name, info in annotation.model_fields.items()}
        return st.fixed_dictionaries(members).map(lambda kw: annotation(**kw))
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        return st.lists(values_of(args[0]), max_size=2)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(values_of(args[0]), max_size=3).map(tuple)
        return st.tuples(*(values_of(a) for a in args))
    if origin is Union:
        return st.one_of(*(st.none() if a is type(None) else values_of(a) for a in args))
    raise AssertionError(f"no values for {annotation!r}")


def jsonable(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


@st.composite
def output_types(draw) -> tuple[Any, dict[str, Any]]:
    """An output field's type and options: models (plain, optional, in a list, in a union or a
    tuple), tuples, and ints with constraints or defaults."""
    model = draw(models())
    kind = draw(st.sampled_from(["model", "optional", "list", "union", "tuple_model", "tuple", "variadic",
                                 "bounded_int", "int_default", "model_default"]))
    if kind == "model":
        return model, {}
    if kind == "optional":
        return Optional[model], {}
    if kind == "list":
        return list[model], {}
    if kind == "union":
        return Union[model, str], {}
    if kind == "tuple_model":
        return Optional[tuple[int, model]], {}
    if kind == "tuple":
        return tuple[int, str], {}
    if kind == "variadic":
        return tuple[str, ...], draw(st.sampled_from([{}, {"default": ("x",)}]))
    if kind == "bounded_int":
        return int, draw(st.sampled_from([{"ge": 0, "le": 10}, {"gt": -1}, {"multiple_of": 2, "lt": 50}]))
    if kind == "int_default":
        return int, {"default": 7}
    return Optional[model], {"default": None}


@st.composite
def input_types(draw) -> tuple[Any, dict[str, Any]]:
    model = draw(models())
    kind = draw(st.sampled_from(["model", "list", "tuple", "optional", "str_default", "bounded_str"]))
    return {
        "model": (model, {}), "list": (list[model], {}), "tuple": (tuple[int, str], {}),
        "optional": (Optional[model], {}), "str_default": (str, {"default": "fallback"}),
        "bounded_str": (str, {"min_length": 1, "max_length": 40}),
    }[kind]


@st.composite
def typed_signatures(draw) -> Signature:
    """A signature with 1-2 typed inputs and 1-2 typed outputs (a str input and output among them
    sometimes), descriptions now and then."""
    inputs = {"question": Field("question", "input", str)}
    for name in draw(st.lists(st.sampled_from(["record", "items", "extra"]), max_size=2, unique=True)):
        annotation, extra = draw(input_types())
        inputs[name] = Field(name, "input", annotation, draw(st.sampled_from([None, "the data"])), None, True, extra)
    outputs = {}
    for name in draw(st.lists(st.sampled_from(["answer", "result", "rating"]), min_size=1, max_size=2, unique=True)):
        annotation, extra = draw(output_types())
        outputs[name] = Field(name, "output", annotation, draw(st.sampled_from([None, "the result"])), None, True,
                              extra)
    if draw(st.booleans()):
        outputs["summary"] = Field("summary", "output", str)
    return Signature.from_fields(inputs, outputs, draw(st.sampled_from([None, "Extract the records."])))


def _valid(field: Field) -> st.SearchStrategy:
    if field.annotation is int and field.extra:
        return st.sampled_from([0, 2, 4])  # within every drawn constraint
    return values_of(field.annotation)


@st.composite
def inputs_for(draw, sig: Signature) -> dict[str, Any]:
    """Values for the inputs: models as instances or as dicts, an input with a default sometimes left out."""
    values = {}
    for name, field in sig.input_fields.items():
        if "default" in field.extra and draw(st.booleans()):
            continue
        value = draw(_valid(field))
        if isinstance(value, pydantic.BaseModel) and draw(st.booleans()):
            value = value.model_dump()
        values[name] = value
    return values


@st.composite
def reply_values(draw, outputs: dict[str, Field]) -> dict[str, Any]:
    """Per output: a valid value, a junk text, or nothing (the field left out)."""
    values = {}
    for name, field in outputs.items():
        mode = draw(st.sampled_from(["ok", "ok", "ok", "junk", "missing"]))
        if mode == "ok":
            values[name] = ("value", draw(_valid(field)))
        elif mode == "junk":
            values[name] = ("text", draw(st.sampled_from(JUNK)))
    return values


def chat_reply(values: dict[str, Any]) -> str:
    parts = []
    for name, (kind, value) in values.items():
        if kind == "text" or isinstance(value, str):
            text = value
        else:
            text = json.dumps(jsonable(value), ensure_ascii=False)
        parts.append(f"[[ ## {name} ## ]]\n{text}")
    return "\n\n".join(parts + ["[[ ## completed ## ]]"])


def json_reply(values: dict[str, Any]) -> str:
    return json.dumps({name: value if kind == "text" else jsonable(value) for name, (kind, value) in values.items()},
                      ensure_ascii=False)
