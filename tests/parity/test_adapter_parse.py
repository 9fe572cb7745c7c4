"""The native adapters parse replies as dspy 3.4 does: same fields, same values, same types,
and a parse error exactly when dspy raises one."""

from __future__ import annotations

from typing import Union

import dspy
import pytest
from dspy.utils.exceptions import AdapterParseError as DspyParseError
from hypothesis import given
from hypothesis import strategies as st

from _dspy_oracle import to_dspy_signature, typed
from _strategies_local import UNION_TEXT, WORDS, TYPES, chat_replies, json_replies, signatures, value_text, values_of
from dspex_core.errors import AdapterParseError
from dspex_native.adapters import get_format, parse_value
from dspy.adapters.utils import parse_value as dspy_parse_value


def outcome(fn):
    try:
        return ("ok", typed(fn()))
    except (AdapterParseError, DspyParseError):
        return ("parse_error", None)


@st.composite
def chat_cases(draw):
    sig = draw(signatures())
    return sig, draw(chat_replies(sig))


@given(chat_cases())
def test_chat_parse_matches_dspy(case):
    sig, reply = case
    mine = outcome(lambda: get_format(sig, "chat").parse(reply))
    theirs = outcome(lambda: dspy.ChatAdapter().parse(to_dspy_signature(sig), reply))
    assert mine == theirs


@st.composite
def json_cases(draw):
    sig = draw(signatures())
    return sig, draw(json_replies(sig))


@given(json_cases())
def test_json_parse_matches_dspy(case):
    sig, reply = case
    mine = outcome(lambda: get_format(sig, "json").parse(reply))
    theirs = outcome(lambda: dspy.JSONAdapter().parse(to_dspy_signature(sig), reply))
    assert mine == theirs


def value_outcome(fn):
    try:
        return ("ok", typed(fn()))
    except ValueError:
        return ("error", None)


@st.composite
def field_texts(draw):
    annotation = draw(st.sampled_from(TYPES))
    if draw(st.integers(0, 3)) == 0:
        return annotation, draw(WORDS)
    plain = str if annotation is object else annotation
    return annotation, value_text(draw, plain, draw(values_of(plain)))


@given(field_texts())
def test_value_coercion_matches_dspy(case):
    annotation, text = case
    assert value_outcome(lambda: parse_value(text, annotation)) == \
        value_outcome(lambda: dspy_parse_value(text, annotation))


def test_first_occurrence_wins_and_inline_values():
    sig = get_format(__import__("dspex_core").Signature("q -> a: int, b"), "chat")
    reply = "[[ ## a ## ]] 7\n[[ ## b ## ]]\nfirst\n[[ ## b ## ]]\nsecond\n[[ ## a ## ]]\n9"
    assert sig.parse(reply) == {"a": 7, "b": "first"}
    assert dspy.ChatAdapter().parse(dspy.Signature("q -> a: int, b"), reply) == {"a": 7, "b": "first"}


SCALAR_OR_TEXT = [Union[int, str], Union[str, int], Union[float, str], Union[bool, str]]


@pytest.mark.parametrize("annotation", SCALAR_OR_TEXT)
@pytest.mark.parametrize("text", ["0[", "x {a", "'a' [b", "[1] x", "5 [x]", "a]", "b'x'", "b'1'", "plain"])
def test_free_text_in_a_union_with_str_reads_as_dspy_reads_it(annotation, text):
    """json_repair reads a list or an object out of free text with an opening bracket ("0[" is
    []), which fails a union of scalars and str in DSPy: native fails it too (the chat adapter
    then retries in JSON, as DSPy does), rather than returning the text."""
    assert value_outcome(lambda: parse_value(text, annotation)) == \
        value_outcome(lambda: dspy_parse_value(text, annotation))


@given(st.sampled_from(SCALAR_OR_TEXT), UNION_TEXT)
def test_union_text_matches_dspy(annotation, text):
    assert value_outcome(lambda: parse_value(text, annotation)) == \
        value_outcome(lambda: dspy_parse_value(text, annotation))
