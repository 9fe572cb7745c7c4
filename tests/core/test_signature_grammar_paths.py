"""The two readings of a signature string agree: the regular-expression one (``_parse_plain``),
which takes most signatures, returns exactly what the reference reading (``_parse_checked``)
returns, or declines and leaves the signature (and every error) to the reference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspex_core._signature_grammar import _parse_checked
from dspex_core._signature_plain import _parse_plain
from dspex_core.errors import SignatureError


class Person:
    """A stand-in for a user's model passed as a custom type."""


CUSTOM = {"Person": Person, "int": float}

NAMES = ["a", "b", "b_1", "Answer", "x9", "_x", "if", "None", "match", "instructions", "fields", "é", "a b", ""]
TYPES = ["int", " str ", "list[str]", "dict[str, int]", "Literal['x','y']", "Literal['x', 'y']", 'Literal["a,b"]',
         "Literal['[']", "Optional[Person]", "list[Person]", "tuple[int, str]", "int | None", "None", "1", "'a'",
         "typing.List[int]", "list[list[list[list[int]]]]", "list[list[list[list[list[int]]]]]", "(int)", "list[",
         "list]", "dict[str]", "list[int, str]", "Literal['->']", "Literal['a\\'b']", "", " ", "Unknown",
         "tuple[int, ...]", "dict[str,\n int]", "list[str]\n", "Literal[-1]", "int,", "list[str]]"]
SEPARATORS = [", ", ",", " , ", ",\n", ",,", "", " "]


def _agree(spec: str, custom_types: dict[str, Any] | None) -> None:
    plain = _parse_plain(spec, custom_types)
    if plain is None:
        return  # left to the reference reading (which raises or reads it its own way)
    reference = _parse_checked(spec, custom_types)  # whatever the plain reading accepts, the reference does
    for mine, theirs in zip(plain, reference):
        assert list(mine) == list(theirs)
        assert all(mine[name] == theirs[name] and type(mine[name].annotation) is type(theirs[name].annotation)
                   for name in mine)


@st.composite
def specs(draw) -> str:
    def side() -> str:
        items = []
        for _ in range(draw(st.integers(0, 3))):
            name = draw(st.sampled_from(NAMES))
            typed = draw(st.booleans())
            items.append(f"{name}{draw(st.sampled_from([':', ': ', ' : ']))}{draw(st.sampled_from(TYPES))}"
                         if typed else name)
        return draw(st.sampled_from(SEPARATORS)).join(items) + draw(st.sampled_from(["", ",", ", ", " "]))

    return side() + draw(st.sampled_from(["->", " -> ", "\n->\n", "-->", "- >", "->->"])) + side()


@settings(max_examples=150)
@given(specs(), st.booleans())
def test_the_plain_reading_returns_what_the_reference_returns(spec, with_custom_types):
    _agree(spec, CUSTOM if with_custom_types else None)


@settings(max_examples=150)
@given(st.text(alphabet="ab_1:, []'\"-> \n()|{}\\.", max_size=30))
def test_the_plain_reading_agrees_on_any_text(spec):
    _agree(spec, None)


@pytest.mark.parametrize("spec", [
    "question -> answer",
    "question, context: list[str] -> answer: int, confidence: float",
    "a: list[str], b: dict[str, int] -> c: Literal['x','y']",
    "q: Person, hint: tuple[int, str] -> best: Optional[Person], all: list[Person]",
    "-> answer", "a, -> b,", "a ->", "a:int->b:str", "a\n->\nb: int | None",
])
def test_common_signatures_take_the_plain_reading(spec):
    assert _parse_plain(spec, {"Person": Person}) is not None
    _agree(spec, {"Person": Person})


@pytest.mark.parametrize("spec", [
    "a:->b", "a: -> b", "a,,b -> c", "a -> b,,", "_a -> b", "if -> b", "a -> a", "a: (int) -> b", "é -> b",
    "a: Literal['->']", "a -> b -> c", "a: list[int, str] -> b", "a: 1 -> b", "a b -> c", ", -> b",
])
def test_what_the_plain_reading_declines_is_the_references_to_refuse_or_read(spec):
    assert _parse_plain(spec, None) is None
    try:
        _parse_checked(spec, None)
    except SignatureError as exc:
        assert exc.rule and exc.position is not None


def test_custom_types_are_looked_up_on_every_parse():
    from typing import Annotated

    from dspex_core import Signature

    class A:
        pass

    class B:
        pass

    types = {"M": A}
    assert Signature("x: M -> y", custom_types=types).input_fields["x"].annotation is A
    types["M"] = B  # the same dict, changed: what the cache answers follows it
    assert Signature("x: M -> y", custom_types=types).input_fields["x"].annotation is B
    assert Signature("x: list[M] -> y", custom_types={"M": A}).input_fields["x"].annotation == list[A]
    assert Signature("x: list[M] -> y", custom_types={"M": B}).input_fields["x"].annotation == list[B]
    with pytest.raises(SignatureError, match="unknown type 'M'"):
        Signature("x: list[M] -> y")
    unhashable = Annotated[int, {"note": "a dict makes it unhashable"}]
    assert Signature("x: M -> y", custom_types={"M": unhashable}).input_fields["x"].annotation is unhashable
