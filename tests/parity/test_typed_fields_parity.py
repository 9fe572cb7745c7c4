"""Parity for typed signature fields: pydantic models (nested, optional, in lists, tuples and
unions), tuples, field constraints and defaults, on native and on the dspy backend (real dspy).

Hypothesis draws the models (``pydantic.create_model``), the signature, the inputs (model
instances or dicts, defaulted inputs left out), the module (predict, chain_of_thought), the
adapter (chat, json) and the replies (valid values, junk, missing fields). Per case:

- through a recording LM: every message of every request (the field list with its
  ``Constraints:`` lines, the JSON schemas in the structure block, the serialized inputs and
  demos) and the outcome (typed prediction values, model instances included, or a parse error
  after the same number of requests);
- over HTTP to a local OpenAI-compatible server, JSON adapter: the whole request bodies, so the
  structured-outputs ``response_format`` (pydantic's schema made strict) on both of dspy's
  routes (its own engine and LiteLLM's).
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import pydantic
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _loop_runs import assert_same, run_both
from _typed_strategies import chat_reply, inputs_for, json_reply, reply_values, typed_signatures
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")
warnings.filterwarnings("ignore", category=UserWarning, module="pydantic")

MODULES = ("predict", "chain_of_thought")


def _replied(sig: Signature, module: str) -> dict[str, Field]:
    outputs = dict(sig.output_fields)
    if module == "chain_of_thought":
        return {"reasoning": Field("reasoning", "output", str), **outputs}
    return outputs


@st.composite
def cases(draw) -> dict[str, Any]:
    sig = draw(typed_signatures())
    module = draw(st.sampled_from(MODULES))
    adapter = draw(st.sampled_from(["chat", "json"]))
    outputs = _replied(sig, module)
    first = draw(reply_values(outputs))
    replies = [chat_reply(first) if adapter == "chat" else json_reply(first),
               json_reply(draw(reply_values(outputs)))]  # the chat adapter's JSON retry
    return dict(sig=sig, module=module, adapter=adapter, inputs=draw(inputs_for(sig)), replies=replies,
                demos=draw(st.lists(inputs_for(sig), max_size=1)))


@settings(max_examples=25, deadline=None)
@given(cases())
def test_typed_fields_prompt_and_parse_as_on_dspy(case):
    def build(backend: str):
        return dspex.create(case["module"], case["sig"], implementation=backend, adapter=case["adapter"])

    native, reference = run_both(build, [case["inputs"]], case["replies"])
    assert_same(native, reference)
    event(f"{native.outcome[0]} after {len(native.calls)} request(s)")


# -- over HTTP: the structured-outputs schema -------------------------------------------------------

KEY = "sk-test-typed-parity-0123456789"


class _Script:
    def __init__(self) -> None:
        self.replies: list[str] = []

    def __call__(self, messages: list, settings: dict) -> list[str]:
        return [self.replies.pop(0)]


@pytest.fixture(scope="module")
def served():
    script = _Script()
    with LocalLMServer(script) as server:
        yield server, script


def _http_run(served, backend: str, case: dict[str, Any]) -> tuple:
    server, script = served
    server.reset()
    script.replies = list(case["replies"])
    ref = dspex.create(case["module"], case["sig"], implementation=backend, adapter="json")
    lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm"])
    try:
        pred = ref(**case["inputs"], lm=lm)
        outcome = ("ok", {k: pred[k] for k in pred.keys()})
    except dspex.AdapterParseError:
        outcome = ("parse_error",)
    return outcome, [r["body"] for r in server.chat_requests]


@settings(max_examples=6, deadline=None)
@given(cases(), st.sampled_from(["openai/gpt-4o-mini", "openai/gpt-3.5-turbo"]),
       st.sampled_from([{}, {"engine": "litellm"}]))
def test_structured_outputs_request_as_on_dspy(served, case, model, lm):
    case = dict(case, model=model, lm=lm, replies=[json_reply_of(case)])
    native, reference = _http_run(served, "native", case), _http_run(served, "dspy", case)
    assert native[1] == reference[1]  # whole bodies: messages, response_format, ...
    event(f"response_format {native[1][0].get('response_format', {}).get('type')}")
    assert _typed(native[0]) == _typed(reference[0])


def json_reply_of(case: dict[str, Any]) -> str:
    replies = case["replies"]
    return replies[0] if case["adapter"] == "json" else replies[1]


def _typed(value: Any) -> Any:
    from _dspy_oracle import typed

    return typed(value)


# -- string signatures with custom types, spelled out once -------------------------------------------

class Address(pydantic.BaseModel):
    city: str
    zip_code: Optional[str] = None


class Person(pydantic.BaseModel):
    name: str = pydantic.Field(description="full name")
    age: int = pydantic.Field(ge=0)
    home: Address


def test_a_string_signature_with_custom_types_runs_as_on_dspy():
    sig = Signature("people: list[Person], hint: tuple[int, str] -> best: Optional[Person], ranks: tuple[int, ...]",
                    custom_types={"Person": Person})
    replies = ['[[ ## best ## ]]\n{"name": "Ada", "age": 36, "home": {"city": "London"}}\n\n'
               '[[ ## ranks ## ]]\n[2, 1]\n\n[[ ## completed ## ]]']
    inputs = {"people": [Person(name="Ada", age=36, home=Address(city="London"))], "hint": (1, "one")}
    native, reference = run_both(lambda backend: dspex.create("predict", sig, implementation=backend),
                                 [inputs], replies)
    assert_same(native, reference)
    assert native.outcome[0] == "ok"


def test_tuples_and_constraints_do_not_import_pydantic():
    """pydantic is imported only for a field that holds a model (here, where it is installed)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import dspex_core as dspex\n"
            "from dspex_core.testing import RecordingLM\n"
            "ref = dspex.create('chain_of_thought', 'q: tuple[int, str] -> a: tuple[int, ...]', "
            "implementation='native', adapter='json')\n"
            "pred = ref(q=(1, 'x'), lm=RecordingLM(['{\"reasoning\": \"r\", \"a\": [1, 2]}']))\n"
            "assert pred['a'] == (1, 2), pred\n"
            "assert 'pydantic' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
