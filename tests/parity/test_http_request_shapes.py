"""Request shapes over HTTP where the native client once differed from dspy.LM, pinned down.

- OpenAI's reasoning models (o1/o3/o4, gpt-5 but not ``gpt-5-chat``) reject ``max_tokens``:
  dspy.LM sends ``max_completion_tokens`` for them on either route, and so does native; for the
  other models the route decides (dspy's own engine: ``max_completion_tokens``; LiteLLM's:
  ``max_tokens``).
- The JSON fallback's structured-outputs schema titles each property as pydantic does
  (``"a_"`` -> ``"A"``, not ``"A "``), so ``response_format`` is byte-identical.
- Signatures that differ only in the order of a ``Literal``'s or a ``Union``'s arguments are
  prompted in their own order, so they are not equal signatures (typing calls the annotations
  equal) and the per-signature prompt caches (native's formats, the dspy backend's translated
  signatures) never serve one for the other.

Each case runs native and dspy on the same server and script (helpers of test_predict_http).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dspex_core import Signature
from dspex_dspy.translate import to_dspy_signature
from test_predict_http import _case, assert_same_http_run, recorded_run, run_dspy, run_native, served  # noqa: F401

REASONING = ["openai/gpt-5-mini", "openai/o3-mini", "openai/o1", "openai/gpt-5.1", "openai/o4-mini-2025-04-16"]
NOT_REASONING = ["openai/gpt-5-chat", "openai/gpt-4o-mini", "openai/o3x"]
ANSWER = "[[ ## answer ## ]]\n7\n\n[[ ## completed ## ]]"


def both(served, case):
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    return native, reference


@pytest.mark.parametrize("model", REASONING)
@pytest.mark.parametrize("where", ["lm", "call"])
def test_reasoning_models_get_max_completion_tokens(served, model, where):
    # (Not combined: dspy ignores a call's max_tokens when its LM has one for these models.)
    lm_settings = {"temperature": 1.0} if where == "call" else {"temperature": 1.0, "max_tokens": 16000}
    call_config = {"max_tokens": 20000} if where == "call" else None
    case = _case(model=model, lm_settings=lm_settings, call_config=call_config, completions=[ANSWER])
    native, reference = both(served, case)
    sent = native[1][0]
    assert "max_tokens" not in sent
    assert sent == reference[1][0]  # no mapping needed: the very same body
    assert sent["max_completion_tokens"] == (20000 if where == "call" else 16000)
    assert native[0][1] == {"answer": 7}


@pytest.mark.parametrize("model", NOT_REASONING)
@pytest.mark.parametrize("engine, field", [(None, "max_completion_tokens"), ("litellm", "max_tokens")])
def test_other_models_name_the_limit_as_the_route_does(served, model, engine, field):
    """dspy's own engine writes every OpenAI model's limit as max_completion_tokens; LiteLLM keeps
    max_tokens for the models that are not reasoning models."""
    lm_settings = {"max_tokens": 300, **({"engine": engine} if engine else {})}
    case = _case(model=model, lm_settings=lm_settings, completions=[ANSWER])
    native, reference = both(served, case)
    assert native[1][0][field] == reference[1][0][field] == 300


@pytest.mark.parametrize("names", [["a_"], ["answer_", "x_1"], ["camelCase", "b__c"], ["y1", "long_field_name_"]])
def test_structured_output_titles_match_pydantic(served, names):
    sig = Signature("question -> " + ", ".join(names))
    reply = "{" + ", ".join(f'"{n}": "v"' for n in names) + "}"
    case = _case(sig=sig, adapter="json", completions=[reply])
    native, reference = both(served, case)
    schema = native[1][0]["response_format"]["json_schema"]["schema"]
    assert [schema["properties"][n]["title"] for n in names] == [n.title().replace("_", " ").strip() for n in names]
    assert native[0][1] == {n: "v" for n in names}


@pytest.mark.parametrize("orders", [
    ("Literal['no', 'yes']", "Literal['yes', 'no']"),
    ("Union[int, str]", "Union[str, int]"),
    ("list[Literal['a', 'b']]", "list[Literal['b', 'a']]"),
])
@pytest.mark.parametrize("adapter", ["chat", "json"])
def test_equal_signatures_written_in_another_order_are_prompted_in_their_own(served, orders, adapter):
    first, second = (Signature(f"question -> verdict: {t}") for t in orders)
    assert first != second and hash(first) == hash(second)
    reply = '{"verdict": "zzz"}' if adapter == "json" else "[[ ## verdict ## ]]\nzzz\n\n[[ ## completed ## ]]"
    systems = []
    for sig in (first, second):
        case = _case(sig=sig, adapter=adapter, completions=[reply, '{"verdict": "zzz"}'])
        native, _ = both(served, case)
        systems.append(native[1][0]["messages"][0]["content"])
    assert systems[0] != systems[1]
    # the dspy backend's translation cache, likewise
    translated = [to_dspy_signature(sig).output_fields["verdict"].annotation for sig in (first, second)]
    assert [repr(t) for t in translated] == [repr(sig.output_fields["verdict"].annotation) for sig in (first, second)]


@given(model=st.sampled_from(REASONING + NOT_REASONING),
       temperature=st.sampled_from([None, 0, 0.0, 0.7, 1.0, 1.5]),
       max_tokens=st.sampled_from([None, 1, 1000, 15999, 16000, 32000]))
def test_reasoning_model_settings_are_refused_alike(model, temperature, max_tokens):
    """dspy.LM refuses a reasoning model's temperature other than 1.0 or max_tokens under
    16000 before any request; native refuses exactly the same settings, both as ConfigError.
    (``max_tokens=0`` never gets this far: ``dspex.LM`` refuses it for every model, by the
    core's settings rule, tests/core/test_settings_rules.py.)"""
    from dspex_core import LM, ConfigError
    from dspex_dspy.translate import to_dspy_lm
    from dspex_native.lm.client import HTTPLMClient

    settings = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None}
    outcomes = []
    for make in (HTTPLMClient, to_dspy_lm):
        lm = LM(model, api_base="http://127.0.0.1:9/v1", api_key="sk-shape-test-key", **settings)
        try:
            make(lm)
            outcomes.append("made")
        except ConfigError as exc:
            assert model in str(exc) and "16000" in str(exc) and "sk-shape-test-key" not in str(exc)
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1], (model, settings, outcomes)


@pytest.mark.parametrize("settings", [
    {"stop": "END"}, {"stop": ["a", "b"]}, {"top_k": 5}, {"seed": 3, "top_p": 0.5},
    {"foo": 1},  # no verdict in lm15: the call goes LiteLLM's way (one request with n)
    {"max_completion_tokens": 50, "max_tokens": 60},  # disagreeing limits: LiteLLM's way too
])
@pytest.mark.parametrize("engine", [None, "litellm"])
def test_request_settings_are_written_as_each_route_writes_them(served, settings, engine):
    """lm15 sends ``stop`` as a list and drops ``top_k``; a setting it cannot read sends the call
    through LiteLLM in dspy, and so in native (whole bodies and the request count compared)."""
    lm_settings = {**settings, **({"engine": engine} if engine else {})}
    case = _case(lm_settings=lm_settings, config={"n": 2}, completions=[ANSWER, ANSWER])
    native, reference = both(served, case)
    assert len(native[1]) == (2 if engine is None and "foo" not in settings and "max_tokens" not in settings else 1)
