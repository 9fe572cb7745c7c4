"""The short reading of type texts (``_plain_types``) gives what the ast reading gives, or declines."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspex_core import _types
from dspex_core._plain_types import NOT_PLAIN, _literal_of, _literal_shortcut


class Person:
    """A stand-in for a user's model passed as a custom type."""


CUSTOM = {"Person": Person, "int": float, "Label": typing.Literal["a"]}


def _reference(text: str, custom: dict | None):
    node, lead, _ = _types._compiled(text)
    return _types._checked(node, {**_types._NAMES, **(custom or {})}, lead)


def _agree(text: str, custom: dict | None) -> None:
    mine = _types._plain(text, custom)
    if mine is NOT_PLAIN:
        return
    theirs = _reference(text, custom)  # what the short reading accepts, the ast reading accepts
    assert mine == theirs and repr(mine) == repr(theirs) and type(mine) is type(theirs)


VALID = ["int", "str", "None", "Person", "Label", "typing.List", "typing.Any", "'x'", '"y"', "'x,y'", "1", "0",
         "True", "...", "list", "dict", "tuple", "Optional", "Union", "Literal", "Any"]
INVALID = ["unknown", "if", "_x", "typing._x", "01", "1.5", "b'x'", "'a\\'b'", "(int)", "-1", "é"]
ATOMS = VALID * 3 + INVALID  # mostly texts the short reading takes


@st.composite
def type_texts(draw, depth: int = 0) -> str:
    atom = draw(st.sampled_from(ATOMS))
    if depth < 2 and draw(st.booleans()):
        args = draw(st.lists(type_texts(depth + 1), min_size=0, max_size=3))
        atom += "[" + draw(st.sampled_from([",", ", ", " ,"])).join(args) + draw(st.sampled_from(["]", ",]", ""]))
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        atom += draw(st.sampled_from([" | ", "|"])) + draw(type_texts(depth + 1))
    return draw(st.sampled_from(["", " ", "\t"])) + atom + draw(st.sampled_from(["", " ", "\n"]))


@settings(max_examples=100)
@given(type_texts(), st.booleans())
def test_the_short_reading_gives_what_the_ast_reading_gives(text, with_custom):
    _agree(text, CUSTOM if with_custom else None)


@settings(max_examples=100)
@given(st.text(alphabet="aint[]',.| \"Lo1()", max_size=20))
def test_the_short_reading_agrees_on_any_text(text):
    _agree(text, None)


@pytest.mark.parametrize("text", ["list[str]", "dict[str, int]", "Literal['x', 'y']", "Optional[Person]",
                                  "int | None", "typing.List[int]", "tuple[int, ...]", "list[Person]"])
def test_common_types_take_the_short_reading(text):
    assert _types._plain(text, {"Person": Person}) is not NOT_PLAIN
    _agree(text, {"Person": Person})


def test_a_literal_of_new_strings_is_typings_own_alias():
    assert _literal_shortcut()  # on every supported Python, the copy is what typing makes
    made = _literal_of(("yes", "no", "maybe"))
    own = typing.Literal["yes", "no", "maybe"]
    assert type(made) is type(own) and vars(made) == vars(own) and made == own and hash(made) == hash(own)
    assert typing.get_origin(made) is typing.Literal and typing.get_args(made) == ("yes", "no", "maybe")
    assert made == typing.Literal["maybe", "no", "yes"] and made != typing.Literal["yes", "no"]
    assert typing.Optional[made] == typing.Optional[own]
    assert _types.parse_type("Literal['only', 'once', 'only']") == typing.Literal["only", "once"]  # deduped
