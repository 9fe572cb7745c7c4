"""Type coercion for pipeline steps: the rules in dspex_native.type_coercion.rules."""

import enum
from typing import Any, Literal, Optional, Union

import pytest
from hypothesis import given, strategies as st

from dspex_native.type_coercion.rules import Mismatch, accepts_none, coerce, unsupported


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@pytest.mark.parametrize("annotation, value, expected", [
    (int, "3", 3), (int, " -42 ", -42), (int, 3.0, 3), (float, "1e3", 1000.0), (float, 2, 2.0),
    (bool, "true", True), (bool, "False", False), (bool, "yes", True), (bool, 0, False),
    (str, "x", "x"), (list[int], "[1, 2]", [1, 2]), (list[str], '["a"]', ["a"]),
    (dict[str, int], '{"a": "1"}', {"a": 1}), (dict[str, list[int]], {"a": ["2"]}, {"a": [2]}),
    (Literal["x", "y"], "y", "y"), (Literal["x", "y"], "'x'", "x"), (Literal[1, 2], "2", 2),
    (Optional[int], None, None), (Optional[int], "5", 5), (Union[int, str], "3", "3"),
    (Union[int, list[int]], "[1]", [1]), (tuple[int, str], '[1, "a"]', (1, "a")),
    (tuple[int, ...], [1, "2"], (1, 2)), (set[int], [1, 2, 2], {1, 2}), (Color, "red", Color.RED),
    (Color, "BLUE", Color.BLUE), (Color, 2, Color.BLUE), (list[Color], ["red"], [Color.RED]),
    (Any, object, object), (list, "[1, 'a']", [1, "a"]),
])
def test_coerces(annotation, value, expected):
    result = coerce(annotation, value, "f")
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("annotation, value, fragment", [
    (int, "abc", "f: expected int, got 'abc' (str)"), (int, 2.5, "expected int"), (str, 3, "expected str"),
    (list[int], '[1, "x"]', "f[1]: expected int"), (Literal["x"], "z", "expected Literal['x']"),
    (int, None, "got None"), (bool, "maybe", "expected bool"), (dict[str, int], "nope", "JSON"),
    (tuple[int, int], [1], "exactly 2 items"), (Color, "green", "options: RED, BLUE"),
    (list[int], "1, 2", "expected list[int]"), (dict[str, int], {"a": "x"}, "f['a']: expected int"),
])
def test_refuses_with_a_clear_message(annotation, value, fragment):
    with pytest.raises(Mismatch) as info:
        coerce(annotation, value, "f")
    assert fragment in str(info.value)


def test_long_values_are_truncated():
    with pytest.raises(Mismatch) as info:
        coerce(int, "x" * 500, "n")
    assert len(str(info.value)) < 120 and "..." in str(info.value)


def test_values_of_the_right_type_pass_unchanged():
    items = [1, 2]
    nested = {"a": [1], "b": []}
    assert coerce(list[int], items) is items
    assert coerce(dict[str, list[int]], nested) is nested
    assert coerce(Optional[list[int]], items) is items


def test_union_prefers_an_exact_member():
    assert coerce(Union[float, int], 3) == 3 and type(coerce(Union[float, int], 3)) is int
    assert coerce(Union[int, bool], True) is True


def test_helpers():
    assert accepts_none(Optional[int]) and accepts_none(Any) and not accepts_none(int)
    assert unsupported(list[dict[str, Optional[int]]]) is None
    assert unsupported(Color) is None


@given(st.integers())
def test_integer_text_round_trips(n):
    assert coerce(int, str(n)) == n
    assert coerce(Optional[int], str(n)) == n


@given(st.lists(st.integers(), max_size=5))
def test_json_lists_round_trip(items):
    import json

    assert coerce(list[int], json.dumps(items)) == items


@pytest.mark.parametrize("text", ["[1, 2", "1, 2", "{'a': 1", ""])
def test_container_text_is_read_strictly(text):
    with pytest.raises(Mismatch):
        coerce(list[int] if not text.startswith("{") else dict[str, int], text)


def test_python_literal_containers():
    assert coerce(list[int], "(1, 2)") == [1, 2]
    assert coerce(dict[str, int], "{'a': 1}") == {"a": 1}


def _typed_values():
    """(annotation, value of exactly that type) pairs, nested."""
    leaves = st.one_of(
        st.tuples(st.just(int), st.integers()), st.tuples(st.just(str), st.text(max_size=5)),
        st.tuples(st.just(float), st.floats(allow_nan=False)), st.tuples(st.just(bool), st.booleans()),
        st.tuples(st.just(Literal["a", "b"]), st.sampled_from(["a", "b"])),
    )

    def extend(inner):
        return st.one_of(
            inner.flatmap(lambda tv: st.lists(st.just(tv[1]), max_size=3).map(lambda xs: (list[tv[0]], xs))),
            inner.map(lambda tv: (dict[str, tv[0]], {"k": tv[1]})),
            inner.map(lambda tv: (Optional[tv[0]], tv[1])),
        )

    return st.recursive(leaves, extend, max_leaves=5)


@given(_typed_values())
def test_values_of_the_declared_type_come_back_as_they_are(case):
    annotation, value = case
    assert coerce(annotation, value) is value


@given(_typed_values())
def test_json_text_of_a_container_converts_to_it(case):
    import json

    annotation, value = case
    if isinstance(value, (list, dict)):
        assert coerce(annotation, json.dumps(value)) == value
