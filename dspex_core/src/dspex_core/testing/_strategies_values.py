"""Hypothesis strategies for field values, and how an LM would write them in a reply.

The field types the kit generates are the ones DSPy users write most: ``str`` (with and
without an explicit type), ``int``, ``float``, ``bool``, ``list[str]`` and
``Literal['a', 'b', ...]``. Each has a value strategy (a Python value of that type) and two
renderings: the text an LM puts under a ``[[ ## field ## ]]`` header, and the JSON value it
puts in a JSON-only reply.
"""

from __future__ import annotations

import functools
import json
import typing
from typing import Any

from hypothesis import strategies as st

#: Characters generated text is made of: ASCII, a few accents, CJK and an emoji, spaces and
#: newlines. Wide enough to catch encoding and whitespace handling, narrow enough that
#: shrunk examples stay readable.
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " .,;:!?'\"()[]{}-_/#*`\n\téßΩ中😀"
)

#: Words Literal types choose from.
LITERAL_WORDS = ("yes", "no", "maybe", "positive", "negative", "neutral", "A", "B", "C", "red", "blue")


@functools.lru_cache(maxsize=None)
def text(min_size: int = 0, max_size: int = 40, *, newlines: bool = True) -> st.SearchStrategy[str]:
    """Free text over :data:`ALPHABET` (optionally without newlines)."""
    alphabet = ALPHABET if newlines else ALPHABET.replace("\n", "").replace("\t", "")
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


@functools.cache
def literal_types() -> st.SearchStrategy[Any]:
    """``Literal[...]`` over 2 to 4 distinct words."""
    words = st.lists(st.sampled_from(LITERAL_WORDS), min_size=2, max_size=4, unique=True)
    return words.map(lambda ws: typing.Literal[tuple(ws)])  # type: ignore[misc]


@functools.cache
def field_types() -> st.SearchStrategy[Any]:
    """A field annotation: mostly ``str``, often a typed field."""
    return st.one_of(
        st.just(str), st.just(str),
        st.sampled_from((int, float, bool, list[str])),
        literal_types(),
    )


def is_literal(annotation: Any) -> bool:
    return typing.get_origin(annotation) is typing.Literal


def type_source(annotation: Any) -> str:
    """The annotation as a signature string writes it (``list[str]``, ``Literal['a', 'b']``)."""
    if is_literal(annotation):
        return "Literal[" + ", ".join(repr(a) for a in typing.get_args(annotation)) + "]"
    if annotation == list[str]:
        return "list[str]"
    return annotation.__name__


@functools.lru_cache(maxsize=256)
def values_for(annotation: Any) -> st.SearchStrategy[Any]:
    """A Python value of the declared type."""
    if annotation is str:
        return text()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.one_of(st.integers(-1000, 1000), st.integers(-(2**53), 2**53))
    if annotation is float:
        return st.floats(allow_nan=False, allow_infinity=False, width=64)
    if annotation == list[str]:
        return st.lists(text(max_size=15, newlines=False), max_size=4)
    if is_literal(annotation):
        return st.sampled_from(typing.get_args(annotation))
    raise TypeError(f"the conformance kit has no value strategy for {annotation!r}")


def reply_text(annotation: Any, value: Any) -> str:
    """How a well-behaved LM writes ``value`` under a ChatAdapter field header."""
    if annotation == list[str]:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@functools.lru_cache(maxsize=256)
def wrong_reply_text(annotation: Any) -> st.SearchStrategy[str] | None:
    """Text that does not parse as ``annotation`` (``None`` for ``str``: anything parses)."""
    if annotation is str:
        return None
    if annotation in (int, float):
        return st.sampled_from(["not a number", "twelve", "1.2.3", "[1, 2]"])
    if annotation is bool:
        return st.sampled_from(["perhaps", "maybe so", "2"])
    if annotation == list[str]:
        return st.sampled_from(["{\"a\": 1}", "42"])
    if is_literal(annotation):
        return st.sampled_from(["something else", "none of these"])
    return None
