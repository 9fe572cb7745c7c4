"""OfflineLM: answers any generated signature in ChatAdapter / JSONAdapter form, typed, deterministically."""

from __future__ import annotations

import asyncio
import json
import re
import typing

from hypothesis import given
from hypothesis import strategies as st

import dspex_core
from dspex_core import LM, OfflineLM
from dspex_core.testing import strategies as ds
from dspex_core.testing.fixtures import local_lm_server_factory  # noqa: F401 - fixture
from dspex_native.adapters import get_format
from dspex_native.lm import CustomLMClient, get_client

LM_ = OfflineLM()
SECTION = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## \w+ ## \]\])", re.DOTALL)


def cases():
    return ds.signatures().flatmap(lambda spec: ds.inputs(spec).map(lambda values: (spec.signature(), values)))


def messages_for(signature, values, adapter="chat", demos=()):
    fmt = get_format(signature, adapter)
    return fmt, [{"role": "system", "content": fmt.system}, *fmt.demo_messages(list(demos)),
                 {"role": "user", "content": fmt.user_message(values)}]


def check_type(value, annotation):
    if typing.get_origin(annotation) is typing.Literal:
        assert value in typing.get_args(annotation)
    elif annotation == list[str]:
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif annotation is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        assert type(value) is annotation, (value, annotation)


def raw_text_for(value, annotation):
    """What a ChatAdapter-parseable section must hold for ``value`` of ``annotation``."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


@given(cases())
def test_chat_replies_parse_and_are_typed(case):
    signature, values = case
    fmt, messages = messages_for(signature, values)
    reply = LM_(messages)[0]
    assert reply.endswith("[[ ## completed ## ]]")
    sections = dict(SECTION.findall(reply))
    assert list(sections) == list(signature.output_fields)
    for name, field in signature.output_fields.items():
        text = sections[name].strip()
        assert text
        annotation = field.annotation
        if annotation is int:
            int(text)
        elif annotation is float:
            float(text)
        elif annotation is bool:
            assert text in ("True", "False")
        elif annotation == list[str]:
            items = json.loads(text)
            assert items and all(isinstance(i, str) for i in items)
        elif typing.get_origin(annotation) is typing.Literal:
            # typing caches equal Literals, so get_args' order may differ from the prompt's
            assert text in [str(option) for option in typing.get_args(annotation)]
    parsed = fmt.parse(reply)
    for name, field in signature.output_fields.items():
        check_type(parsed[name], field.annotation)


@given(cases())
def test_json_replies_parse_and_are_typed(case):
    signature, values = case
    fmt, messages = messages_for(signature, values, "json")
    data = json.loads(LM_(messages)[0])
    assert list(data) == list(signature.output_fields)
    for name, field in signature.output_fields.items():
        check_type(data[name], field.annotation)
    parsed = fmt.parse(json.dumps(data))
    assert set(parsed) == set(signature.output_fields)


@given(cases(), st.integers(1, 4))
def test_deterministic_sync_async_and_n(case, n):
    signature, values = case
    _, messages = messages_for(signature, values)
    first = LM_(messages, n=n)
    assert len(first) == n and len(set(first)) == 1
    assert OfflineLM()(messages, n=n) == first
    assert asyncio.run(LM_.acall(messages, n=n)) == first


def test_reasoning_and_keywords_come_from_the_inputs():
    signature = dspex_core.Signature.coerce("question -> reasoning, keywords: list[str], answer")
    _, messages = messages_for(signature, {"question": "Why do volcanoes erupt magma?"})
    reply = LM_(messages)[0]
    sections = dict(SECTION.findall(reply))
    assert json.loads(sections["keywords"]) == ["volcanoes", "erupt", "magma"]
    assert sections["reasoning"].startswith("Step by step")
    assert "volcanoes" in sections["answer"] and "volcanoes" in sections["reasoning"]


def test_only_the_last_user_message_counts_with_demos():
    signature = dspex_core.Signature.coerce("question -> answer")
    demos = [dspex_core.Example(question="old demo about penguins", answer="birds")]
    _, messages = messages_for(signature, {"question": "tell me about comets"}, demos=demos)
    assert len(messages) == 4
    reply = LM_(messages)[0]
    assert "comets" in reply and "penguins" not in reply


SYSTEM_WITH_SCHEMAS = """Your output fields are:
1. `color` (Color):
2. `item` (Item):
3. `info` (dict[str, int]):
4. `opt` (Union[int, NoneType]):
All interactions will be structured in the following way, with the appropriate values filled in.

[[ ## color ## ]]
{color}        # note: the value you produce must be one of: red; green

[[ ## item ## ]]
{item}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "qty", "tags"]}

[[ ## info ## ]]
{info}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "additionalProperties": {"type": "integer"}}

[[ ## opt ## ]]
{opt}        # note: the value you produce must adhere to the JSON schema: {"anyOf": [{"type": "integer"}, {"type": "null"}]}

[[ ## completed ## ]]"""

USER_WITH_SCHEMAS = """[[ ## question ## ]]
What colour is a ripe tomato?

Respond with the corresponding output fields, starting with the field `[[ ## color ## ]]` (must be formatted as a valid Python Color), then `[[ ## item ## ]]` (must be formatted as a valid Python Item), then `[[ ## info ## ]]` (must be formatted as a valid Python dict[str, int]), then `[[ ## opt ## ]]` (must be formatted as a valid Python Union[int, NoneType]), and then ending with the marker for `[[ ## completed ## ]]`."""


def test_enums_models_dicts_and_optionals_from_the_prompt():
    reply = LM_([{"role": "system", "content": SYSTEM_WITH_SCHEMAS}, {"role": "user", "content": USER_WITH_SCHEMAS}])[0]
    sections = {k: v.strip() for k, v in SECTION.findall(reply)}
    assert sections["color"] == "red"
    item = json.loads(sections["item"])
    assert set(item) == {"name", "qty", "tags"}
    assert isinstance(item["name"], str) and isinstance(item["qty"], int)
    assert all(isinstance(t, str) for t in item["tags"])
    info = json.loads(sections["info"])
    assert info and all(isinstance(k, str) and isinstance(v, int) for k, v in info.items())
    assert isinstance(json.loads(sections["opt"]), int)


def test_json_adapter_escaped_schema_is_understood():
    system = ('Outputs will be a JSON object with the following fields.\n\n{\n  "item": "{item}        # note: the value '
              'you produce must adhere to the JSON schema: {\\"type\\": \\"object\\", \\"properties\\": '
              '{\\"qty\\": {\\"type\\": \\"integer\\"}}}"\n}')
    user = "[[ ## q ## ]]\nhello world\n\nRespond with a JSON object in the following order of fields: " \
           "`item` (must be formatted as a valid Python Item)."
    data = json.loads(LM_([{"role": "system", "content": system}, {"role": "user", "content": user}])[0])
    assert isinstance(data["item"]["qty"], int)


def test_literal_options_with_odd_characters():
    user = ("[[ ## q ## ]]\nx\n\nRespond with the corresponding output fields, starting with the field "
            "`[[ ## label ## ]]` (must be formatted as a valid Python Literal['no, maybe (really)', \"it's\"]), "
            "then `[[ ## n ## ]]` (must be formatted as a valid Python Literal[3, 4]), "
            "and then ending with the marker for `[[ ## completed ## ]]`.")
    sections = {k: v.strip() for k, v in SECTION.findall(LM_([{"role": "user", "content": user}])[0])}
    assert sections == {"label": "no, maybe (really)", "n": "3"}


def test_other_prompts_get_a_plain_offline_sentence():
    reply = LM_([{"role": "user", "content": "Summarise the history of Rome"}])[0]
    assert "offline" in reply and "rome" in reply.lower()
    assert LM_([{"role": "user", "content": [{"type": "text", "text": "parts work"}]}])[0]


def test_it_says_what_it_is():
    assert OfflineLM.model == "dspex/offline"
    assert "Not a real model" in OfflineLM.__doc__
    assert "dspex/offline" in repr(OfflineLM())


def test_bad_calls_are_input_errors():
    import pytest

    with pytest.raises(dspex_core.InputError):
        LM_("not messages")
    with pytest.raises(dspex_core.InputError):
        LM_([{"role": "user", "content": "x"}], n=0)


def test_never_chosen_silently():
    assert dspex_core.settings().lm is None or not isinstance(dspex_core.settings().lm, OfflineLM)
    with dspex_core.context(lm=LM("openai/gpt-4o-mini")):
        assert isinstance(dspex_core.settings().lm, LM)


def test_is_a_custom_lm_for_the_native_client():
    assert isinstance(get_client(OfflineLM()), CustomLMClient)


def test_serves_real_http_through_the_local_server(local_lm_server_factory):
    server = local_lm_server_factory(OfflineLM())
    signature = dspex_core.Signature.coerce("question -> answer, confidence: float")
    fmt, messages = messages_for(signature, {"question": "what is rain?"})
    client = get_client(LM("openai/offline-over-http", api_base=server.url, cache=False))
    parsed = fmt.parse(client(messages)[0])
    assert isinstance(parsed["confidence"], float) and "rain" in parsed["answer"]
