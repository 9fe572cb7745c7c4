"""The JSON text of Refine's advice request against orjson and DSPy's own ``recursive_mask``.

DSPy writes the program's inputs, trajectory, outputs, threshold, reward and module names with
``orjson.dumps(recursive_mask(value), option=orjson.OPT_INDENT_2)``; native writes the same text
without orjson (``dspex_native.reward.json_text``). Hypothesis draws nested values of every kind a
program passes (text with control characters and non-ASCII, 64-bit and larger integers, floats of
every magnitude, NaN, infinities, booleans, ``None``, lists, tuples, dicts with text and other keys,
dataclasses, enums, dates, UUIDs, sets, bytes, objects): the text must be identical, and where orjson
refuses a value native must refuse it too (``TypeError``).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import uuid

import orjson
import pytest
from dspy.predict.refine import recursive_mask
from hypothesis import given
from hypothesis import strategies as st

from dspex_native.reward.json_text import dumps, dumps_masked, mask


class Color(enum.Enum):
    RED = "red"
    PAIR = (1, 2)


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: float
    tags: list


class Opaque:
    pass


class Text(str):
    pass


SCALARS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["\x00\x1f\x7f", "\u2028\u2029", "«»", "🎉", "\\\"/", "\b\f\n\r\t"]),
    st.integers(-(2**65), 2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-05, 1.5e-05, 1e-06, 1e16, 1e15, 0.1, -0.0, 5e-324, 1.7976931348623157e308, math.nan]),
    st.booleans(), st.none(),
    st.sampled_from([Color.RED, Color.PAIR, Level.HIGH, datetime.date(2020, 1, 2),
                     datetime.datetime(2020, 1, 2, 3, 4, 5, 6), datetime.time(1, 2, 3),
                     datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc), uuid.UUID(int=7),
                     Point(1.5, ["a"]), Point(math.inf, [Opaque()]), Opaque(), {1, 2}, b"bytes", Text("sub"),
                     "\ud800"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(0, 3), st.booleans()), inner, max_size=2),
    ),
    max_leaves=12,
)


def orjson_text(value):
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return TypeError


def native_text(value):
    try:
        return dumps(value)
    except TypeError:
        return TypeError


def same(a, b) -> bool:
    """Equal values, NaN included (``recursive_mask`` returns the very value when it can be written)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a is b or a == b


@given(VALUES)
def test_dumps_is_orjsons_indented_text(value):
    assert native_text(value) == orjson_text(value)


@given(VALUES)
def test_mask_is_dspys_recursive_mask_and_what_refine_sends_is_the_same_text(value):
    assert same(mask(value), recursive_mask(value))
    sent = orjson_text(recursive_mask(value))
    assert native_text(mask(value)) == sent
    if sent is TypeError:  # Refine's attempt fails there (a key that is not text, say): so does native's
        with pytest.raises(TypeError):
            dumps_masked(value)
    else:
        assert dumps_masked(value) == sent


def test_float_formatting_examples():
    for value, text in [(1e-05, "0.00001"), (1.5e-05, "0.000015"), (1e-06, "1e-6"), (1e16, "1e+16"),
                        (1e15, "1000000000000000.0"), (math.inf, "null"), (0.30000000000000004, "0.30000000000000004")]:
        assert dumps(value) == text == orjson.dumps(value).decode()
