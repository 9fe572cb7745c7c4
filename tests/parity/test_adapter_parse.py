"""The native adapters parse replies as dspy 3.4 does: same fields, same values, same types,
and a parse error exactly when dspy raises one."""

from __future__ import annotations

from typing import Union

import dspy
import pytest
from dspy.utils.exceptions import AdapterParseError as DspyParseError
from hypothesis import example, given
from hypothesis import strategies as st

import dspex_core as dspex
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


@given(st.text(" :\n\t\xa0", max_size=6), st.sampled_from(["", "x ", '["a", "']))
def test_an_object_holding_only_colons_reads_as_json_repair_reads_it(body, before):
    """``{:}`` in a reply (a string item holding it, prose around it): json_repair reads an empty
    object, so DSPy's JSON adapter fills the Optional fields with None; so does native."""
    import json_repair

    from dspex_native.adapters._lenient_json import loads_lenient

    text = "{" + body + "}" + ('"]' if before.startswith("[") else "")
    assert loads_lenient("{" + body + "}") == json_repair.loads("{" + body + "}")
    sig = dspex.Signature("question: str, context: str -> answer: Optional[list[str]], topic: Optional[list[str]]")
    reply = f"[[ ## answer ## ]]\n{before}{text}\n\n[[ ## topic ## ]]\n\n\n[[ ## completed ## ]]"
    mine = outcome(lambda: get_format(sig, "json").parse(reply))
    assert mine == outcome(lambda: dspy.JSONAdapter().parse(to_dspy_signature(sig), reply)), reply


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


PROSE = st.text(st.sampled_from(list("abc xyz:.,!'\"-_0123456789\n")), max_size=12)
BRACKETED = st.one_of(
    st.lists(st.one_of(st.integers(-5, 5), st.text("ab'\" ]", max_size=3), st.booleans(), st.none()),
             max_size=3).map(lambda items: __import__("json").dumps(items)),
    st.lists(st.text("ab", min_size=1, max_size=2), max_size=3).map(repr),
    st.dictionaries(st.text("ab", min_size=1, max_size=2), st.integers(0, 3), max_size=2).map(repr),
    st.sampled_from(["[1, 2", "[a, b]", "{'a': [1, {'b': 'x]'}]}", "[1]]", "[]", "{}"]),
)


@example("", "[]", ",")  # a trailing comma after one value: json_repair reads the value (it was read as [[]])
@example("", "{}", " , ")
@given(PROSE, BRACKETED, PROSE)
def test_a_list_or_object_amid_prose_reads_as_json_repair_reads_it(before, value, after):
    """``Literal['yes']`` or ``The answer is ["red"].``: json_repair skips the prose around one
    bracketed value. Where native answers, it answers as json_repair does; it gives up (``""``)
    only on texts json_repair reads by other heuristics, and then DSPy's next steps follow."""
    import json_repair

    from dspex_native.adapters._lenient_json import loads_lenient

    text = before + value + after
    mine = loads_lenient(text)
    if mine == "" and (any(c in before for c in "[]{}()#/") or any(c in after for c in "[]{}()#/")
                       or value in ("[1, 2", "[1]]")):
        return  # json_repair's other heuristics (more values, comments, repairs): native's documented limit
    assert mine == json_repair.loads(text), text
    for annotation in (list[str], list[int], dict[str, int], Union[list[int], str]):
        assert value_outcome(lambda: parse_value(text, annotation)) == \
            value_outcome(lambda: dspy_parse_value(text, annotation)), (text, annotation)
