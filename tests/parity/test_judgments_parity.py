"""Parity for lm15's "judgments" on Anthropic's and Gemini's own wires (a JSON adapter's boolean and
``Literal`` outputs): native's :mod:`dspex_native.lm._judgments` against lm15's own functions in
the dspy 3.4 package, and whole runs over HTTP against plain dspy on the local fakes.

Hypothesis draws response-format schemas of judgment-like and ordinary properties (booleans,
string and integer enums, ``anyOf`` branches of ``const``s with titles, descriptions and a
``type``, duplicates, empty keys, ...) and replies (one or several text parts, JSON objects
written with any spacing, fenced JSON, lists, junk). Per case: the same judgments found, the
same schema written for each wire, and the same completion text (lm15 hands on a judgment
answer's object written again with ``json.dumps``).
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from typing import Any, Literal, Union

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from dspy._vendor.lm15.types import TextPart
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core._history import clear_history
from dspex_core.testing.provider_server import ProviderServer
from dspex_native.lm import _judgments

warnings.filterwarnings("ignore", module="dspy")
lm15_judgments = importlib.import_module("dspy._vendor.lm15.judgments")  # (the package's name is a function)

KEY = "sk-test-judgments-0123456789"
WORDS = st.sampled_from(["", "a", "b", "yes", "no", "Bordeaux"])
BRANCH = st.builds(
    lambda const, title, desc: {"const": const, **({"title": title} if title else {}),
                                **({"description": desc} if desc else {})},
    st.one_of(WORDS, st.integers(0, 3), st.booleans()), st.sampled_from([None, "", "Red"]),
    st.sampled_from([None, "the first", 3]))
PROPERTY = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(["boolean", "string", "integer", "number"])),
    st.builds(lambda values, t: {"enum": values, **({"type": t} if t else {})},
              st.lists(st.one_of(WORDS, st.integers(0, 3)), max_size=4), st.sampled_from([None, "string", "integer"])),
    st.builds(lambda branches, t, desc: {"anyOf": branches, **({"type": t} if t else {}),
                                         **({"description": desc} if desc else {})},
              st.lists(BRANCH, max_size=4), st.sampled_from([None, "string", "integer"]),
              st.sampled_from([None, "", "Pick one."])),
    st.builds(lambda branches, values: {"anyOf": branches, "enum": values}, st.lists(BRANCH, min_size=1, max_size=2),
              st.lists(WORDS, min_size=1, max_size=2)),
    st.just({"$ref": "#/$defs/Color"}), st.just("not a schema"),
)
SCHEMA = st.builds(lambda props, kind: {"type": kind, "properties": props, "title": "DSPyProgramOutputs"},
                   st.dictionaries(st.sampled_from(["ok", "label", "score", "answer"]), PROPERTY, max_size=3),
                   st.sampled_from(["object", "object", None, "array"]))


def _plain(found: dict[str, Any]) -> dict[str, Any]:
    return {name: (j.kind, tuple(j.keys), dict(j.descriptions), dict(j.titles)) for name, j in found.items()}


@settings(max_examples=300, deadline=None)
@given(SCHEMA)
def test_the_judgments_and_each_wires_schema_are_lm15s(schema):
    theirs = lm15_judgments.judgments_in_schema(schema)
    mine = _judgments.judgments({"type": "json_schema", "schema": schema})
    assert _plain(mine) == {name: (j.kind, tuple(j.keys), dict(j.descriptions), dict(j.titles))
                            for name, j in theirs.items()}
    assert _judgments.anthropic_schema(schema, mine) == lm15_judgments.anthropic_schema(schema, theirs)
    assert _judgments.gemini_schema(schema, mine) == lm15_judgments.gemini_schema(schema, theirs)


REPLY_TEXT = st.one_of(
    st.dictionaries(st.sampled_from(["ok", "label", "é"]), st.one_of(st.booleans(), WORDS, st.integers()),
                    max_size=3).flatmap(lambda d: st.sampled_from([json.dumps(d), json.dumps(d, indent=2),
                                                                  json.dumps(d, ensure_ascii=False) + "\n",
                                                                  " " + json.dumps(d, separators=(",", ":"))])),
    st.sampled_from(['```json\n{"ok": true}\n```', "[1, 2]", '"text"', "not json", "", "{\"ok\": NaN}"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(REPLY_TEXT, min_size=0, max_size=2), st.booleans())
def test_a_judgment_answers_text_is_lm15s(texts, judged):
    found = _judgments.judgments({"type": "json_schema", "schema": {"type": "object", "properties": {
        "ok": {"type": "boolean"} if judged else {"type": "string"}}}})
    try:
        parts = lm15_judgments.replace_text_with_data(
            [TextPart(text=t) for t in texts],
            lm15_judgments.judgments_in_schema({"type": "object", "properties": {"ok": {"type": "boolean"}}})
            if judged else {})
        theirs: Any = [json.dumps(p.value, ensure_ascii=False) if hasattr(p, "value") else p.text for p in parts]
    except TypeError:  # lm15 cannot hold NaN: dspy's call fails
        theirs = "fails"
    try:
        answer = _judgments.answer_text(texts, found)
        mine: Any = texts if answer is None else [answer]
    except ValueError:
        mine = "fails"
    assert mine == theirs


SPECS = {"bool": "question -> ok: bool", "literal": "question -> answer, label: Literal['a', 'b'], n: int",
         "ordered": "question -> level: Literal[0, 1, 2]", "plain": "question -> answer"}
UNION_OF_LITERALS = dspex.Signature("question -> pick: Union[Literal['x'], Literal['y']]",
                                    custom_types={"Union": Union, "Literal": Literal})


def json_adapter_outcome(run: str, model: str, signature: Any, url: str, **lm_settings: Any) -> tuple:
    """A JSON-adapter predict on ``run`` (native, or plain dspy): the prediction and the history's
    completion text, or the error class."""
    from _dspy_oracle import to_dspy_signature

    try:
        if run == "native":
            clear_history()
            lm = dspex.LM(model, api_base=url, api_key=KEY, cache=False, num_retries=0, **lm_settings)
            pred = dict(dspex.create("predict", signature, implementation="native", adapter="json")(
                question="q", lm=lm))
            return ("ok", pred, dspex.history()[-1]["outputs"])
        lm = dspy.LM(model, api_base=url, api_key=KEY, cache=False, num_retries=0, **lm_settings)
        with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
            pred = dict(dspy.Predict(to_dspy_signature(dspex.Signature.coerce(signature)))(question="q"))
        return ("ok", pred, lm.history[-1]["outputs"])
    except (dspex.AdapterParseError, dspy.utils.exceptions.AdapterParseError):
        return ("parse_error",)
    except (dspex.LMError, dspy.utils.exceptions.LMError):
        return ("lm_error",)


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"])
@pytest.mark.parametrize("spec", [*SPECS, "union"])
@pytest.mark.parametrize("reply", ['{\n  "ok": true,\n  "answer": "x", "label": "a", "n": 1, "level": 2, "pick": "y",'
                                   ' "extra": "é"\n}', '```json\n{"ok": true, "pick": "x"}\n```', '{"ok": "maybe"}',
                                   '{"ok": NaN}'])
def test_a_json_adapter_run_with_judgments_is_dspys(model, spec, reply):
    """The request (the schema per wire), the prediction and the history's completion text."""
    signature = UNION_OF_LITERALS if spec == "union" else SPECS[spec]
    outcomes = []
    for run in ("native", "dspy"):
        with ProviderServer(model.split("/")[0], [reply, reply]) as server:
            outcome = json_adapter_outcome(run, model, signature, server.url)
            outcomes.append((outcome, [(r["path"], r["body"]) for r in server.requests]))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("engine", [None, "litellm", "one call LiteLLM's way"])
@pytest.mark.parametrize("spec", ["bool", "ordered", "plain"])
@pytest.mark.parametrize("reply", ['{\n  "ok": true, "level": 1, "answer": "é"\n}', '{"ok": NaN}', '[true]',
                                   '```json\n{"ok": true}\n```'])
def test_the_openai_doors_hand_a_judgment_answer_on_as_dspy_does(engine, spec, reply):
    """On dspy's own engine the chat-completions door folds a judgment answer too (LiteLLM's
    route does not, nor a call dspy's own engine sends LiteLLM's way for a setting lm15 has no
    verdict for): the prediction, the history's text, the error class after as many requests."""
    from dspex_core.testing.server import LocalLMServer

    settings_ = {"engine": engine} if engine == "litellm" else {"frobnicate": 1} if engine else {}
    outcomes = []
    with LocalLMServer(lambda messages, settings: [reply]) as server:
        for run in ("native", "dspy"):
            server.reset()
            outcome = json_adapter_outcome(run, "openai/gpt-4o-mini", SPECS[spec], server.url, **settings_)
            outcomes.append((outcome, [r["body"] for r in server.chat_requests]))
    assert outcomes[0] == outcomes[1]
