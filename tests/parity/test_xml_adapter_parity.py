"""The native XML adapter against dspy 3.4's ``XMLAdapter``: messages byte for byte, replies
parsed to the same values (or failing alike), and whole runs (requests, the JSON retry after an
unparseable reply, predictions) equal."""

from __future__ import annotations

from typing import Optional

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError as DspyParseError
from hypothesis import given, settings
from hypothesis import strategies as st

from _dspy_oracle import assert_same_run, run_dspy, run_native, to_dspy_signature, typed
from _strategies_local import demos_for, inputs_for, json_replies, signatures
from _strategies_xml import xml_replies
from dspex_core import InputError, Signature
from dspex_core import InputField as dspex_input, OutputField as dspex_output
from dspex_core._signature import Field
from dspex_core.errors import AdapterParseError
from dspex_native.adapters import get_format


def outcome(fn):
    try:
        return ("ok", typed(fn()))
    except (InputError, TypeError):  # native InputError where dspy raises TypeError
        return ("input_error", None)
    except (AdapterParseError, DspyParseError):
        return ("parse_error", None)


def native_messages(sig, demos, inputs):
    fmt = get_format(sig, "xml")
    return [{"role": "system", "content": fmt.system}, *fmt.demo_messages(demos),
            {"role": "user", "content": fmt.user_message(inputs)}]


def dspy_messages(sig, demos, inputs):
    return dspy.XMLAdapter().format(to_dspy_signature(sig), [dspy.Example(**d) for d in demos], inputs)


@st.composite
def format_cases(draw):
    sig = draw(signatures())
    return sig, draw(demos_for(sig)), draw(inputs_for(sig))


@settings(max_examples=60)
@given(format_cases())
def test_messages_are_byte_identical(case):
    sig, demos, inputs = case
    assert outcome(lambda: native_messages(sig, demos, inputs)) == outcome(lambda: dspy_messages(sig, demos, inputs))


@st.composite
def parse_cases(draw):
    sig = draw(signatures())
    return sig, draw(xml_replies(sig))


@settings(max_examples=80)
@given(parse_cases())
def test_parse_matches_dspy(case):
    sig, reply = case
    assert outcome(lambda: get_format(sig, "xml").parse(reply)) == \
        outcome(lambda: dspy.XMLAdapter().parse(to_dspy_signature(sig), reply))


@st.composite
def runs(draw):
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = draw(signatures(exclude=("reasoning",)))
    outputs = dict(sig.output_fields)
    if module == "chain_of_thought":
        outputs = {"reasoning": Field("reasoning", "output", str), **outputs}
    replied = Signature._make(dict(sig.input_fields), outputs, None)
    replies = [draw(xml_replies(replied)), draw(json_replies(replied))]
    return dict(module=module, demos=draw(demos_for(sig)), inputs=draw(inputs_for(sig)), replies=replies,
                adapter="xml"), sig


@settings(max_examples=30)
@given(runs())
def test_native_runs_exactly_as_dspy(case):
    kwargs, sig = case
    assert_same_run(run_native(sig, **kwargs), run_dspy(sig, **kwargs))


def test_nested_output_fields_are_shown_and_read_as_nested_xml():
    sig = Signature("question -> tags: dict[str, int], items: list[int], note")
    demos = [{"question": "q", "tags": {"a b": 1, "c": 2}, "items": [1, 2], "note": "x < y & z"}]
    assert native_messages(sig, demos, {"question": "now"}) == dspy_messages(sig, demos, {"question": "now"})
    reply = "<tags><entry key='a b'>1</entry><c>2</c></tags><items><item>3</item></items><note>x &lt; y</note>"
    assert get_format(sig, "xml").parse(reply) == {"tags": {"a b": 1, "c": 2}, "items": [3], "note": "x < y"}
    assert get_format(sig, "xml").parse(reply) == dspy.XMLAdapter().parse(to_dspy_signature(sig), reply)


def test_unparseable_xml_is_asked_again_in_json_as_dspy_does():
    sig = Signature("question -> answer: int")
    replies = ["<answer>1 < 2</answer>", '{"answer": 3}']
    native = run_native(sig, inputs={"question": "q"}, replies=replies, adapter="xml")
    assert_same_run(native, run_dspy(sig, inputs={"question": "q"}, replies=replies, adapter="xml"))
    assert native[0][1] == {"answer": 3} and len(native[1]) == 2


def _react_case(react, extract):
    from dspex_core import Signature as Sig

    spec = dict(react_chat=list(react), react_json=[], extract_chat=list(extract), extract_json=[],
                extract_default={"reasoning": "because", "answer": "42"})
    return {"signature": Sig("question -> answer"), "tools": ["add", "fail"], "max_iters": 4, "call_max_iters": None,
            "demos": [{"question": "1 + 1?", "answer": "2"}], "config": {}, "call_config": None, "adapter": "xml",
            "inputs": {"question": "What is 40 + 2?"}, "script": spec}


def test_react_under_xml_formats_its_trajectory_as_xml_on_every_backend():
    """DSPy formats ReAct's trajectory with the adapter in effect: under the XMLAdapter as
    ``<thought_0>...</thought_0>`` elements; tool arguments are nested XML."""
    from _react_runs import assert_same_run as same_react_run, run_dspy_backend, run_native as react_native, \
        run_plain_dspy

    react = ["<next_thought>Add them.</next_thought><next_tool_name>add</next_tool_name>"
             "<next_tool_args><a>40</a><b>2</b></next_tool_args>",
             "<next_thought>Done &amp; dusted.</next_thought><next_tool_name>finish</next_tool_name>"
             "<next_tool_args />"]
    extract = ["<reasoning>40 + 2</reasoning><answer>42</answer>"]
    case = _react_case(react, extract)
    native = react_native(case)
    same_react_run(native, run_plain_dspy(case))
    same_react_run(native, run_dspy_backend(case))
    (kind, fields), calls = native
    assert kind == "ok" and fields["answer"] == "42" and len(calls) == 3
    assert "<thought_0>\nAdd them.\n</thought_0>\n\n<tool_name_0>\nadd\n</tool_name_0>" in calls[-1].messages[-1]["content"]


class Person(pydantic.BaseModel):
    name: str
    age: int
    tags: list[str] = []


class Team(pydantic.BaseModel):
    lead: Person
    members: list[Person]


class TeamSig(Signature):
    question: str = dspex_input()
    team: Team = dspex_output()
    people: Optional[list[Person]] = dspex_output()


def test_pydantic_model_outputs_are_nested_xml_in_declared_order():
    """A model output's XML skeleton and reading follow pydantic's own schema (properties in the
    order the model declares them), as DSPy's XMLAdapter reads it."""
    demos = [{"question": "q", "team": Team(lead=Person(name="Z", age=1), members=[]),
              "people": [Person(name="Y", age=2)]}]
    reply = ("<team><lead><name>A</name><age>3</age></lead><members><item><name>B</name><age>4</age><tags>"
             "<item>x</item></tags></item></members></team><people><item><name>C</name><age>5</age></item></people>")
    for replies in ([reply], [reply.replace("<age>3</age>", "<age>x</age>"), '{"team": {"lead": {"name": "A", '
                                                                               '"age": 1}, "members": []}, "people": null}']):
        kwargs = dict(inputs={"question": "who?"}, replies=replies, demos=demos, adapter="xml")
        native = run_native(TeamSig, **kwargs)
        assert_same_run(native, run_dspy(TeamSig, **kwargs))
        assert native[0][0] == "ok"
