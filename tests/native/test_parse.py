"""``ref.parse(completion)`` on native: the reader a call uses, without calling the LM."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core.errors import AdapterParseError, InputError


def _never_called(messages, **settings):
    raise AssertionError("parse must not call the LM")


CHAT = "[[ ## answer ## ]]\n12\n\n[[ ## tags ## ]]\n[\"a\", \"b\"]\n\n[[ ## completed ## ]]"


def test_each_adapter_reads_its_own_format_into_typed_values():
    spec = "question -> answer: int, tags: list[str]"
    chat = dspex.create("predict", spec, lm=_never_called)
    assert chat.parse(CHAT) == {"answer": 12, "tags": ["a", "b"]}
    json_ref = dspex.create("predict", spec, lm=_never_called, adapter="json")
    assert json_ref.parse('{"answer": "3", "tags": []}') == {"answer": 3, "tags": []}
    xml = dspex.create("predict", spec, lm=_never_called, adapter="xml")
    assert xml.parse("<answer>\n5\n</answer>\n<tags>\n[\"x\"]\n</tags>") == {"answer": 5, "tags": ["x"]}


def test_the_configured_adapter_decides_when_none_was_given():
    ref = dspex.create("predict", "question -> answer: int", lm=_never_called)
    with dspex.context(adapter="json"):
        assert ref.parse('{"answer": 7}') == {"answer": 7}


def test_a_reply_it_cannot_read_is_an_adapter_parse_error_without_a_retry():
    ref = dspex.create("predict", "question -> answer: int", lm=_never_called)
    with pytest.raises(AdapterParseError, match="ChatAdapter failed to parse"):
        ref.parse('{"answer": 7}')  # the call would retry in JSON; parse reads as the adapter does


def test_chain_of_thought_reads_its_reasoning_too_and_options_are_refused():
    ref = dspex.create("chain_of_thought", "question -> answer", lm=_never_called)
    reply = "[[ ## reasoning ## ]]\nbecause\n\n[[ ## answer ## ]]\nyes\n\n[[ ## completed ## ]]"
    assert ref.parse(reply) == {"reasoning": "because", "answer": "yes"}
    with pytest.raises(InputError, match="parse\\(\\) takes no options"):
        ref.parse(reply, strict=True)
