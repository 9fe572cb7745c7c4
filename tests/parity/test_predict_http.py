"""Parity over real HTTP: native ``predict``/``chain_of_thought`` through ``dspex.LM`` against
plain ``dspy.Predict``/``dspy.ChainOfThought`` through ``dspy.LM``, on one local
OpenAI-compatible server.

Hypothesis draws the signature (the kit's and the parity suite's own), demos, inputs, module
and call settings, LM settings, the model, the LM's ``engine`` (dspy's default, or
``"litellm"``), the adapter and the completions the server gives. Both sides consume the same
scripted completions; per call the test asserts:

- the same requests, whole bodies compared (every key: ``messages`` byte for byte, ``model``,
  temperature, the token limit under the name each route gives it, ``response_format``, ...),
  and as many of them: dspy's own engine (the default) asks for ``n`` completions in ``n``
  requests, LiteLLM's route (``engine="litellm"``) in one request with ``n``;
- equal predictions (fields, values, value types, all completions);
- the same failure (native ``AdapterParseError`` / dspy's ``AdapterParseError``, an input
  error, or, on LiteLLM's route, its refusal of a setting for the model: native's ``ConfigError``
  / dspy's ``LMUnsupportedFeatureError``) after the same number of requests.

One module-scoped server serves every example (``reset()`` between runs), so examples stay cheap.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import warnings
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from dspy.utils.exceptions import AdapterParseError as DspyParseError
from dspy.utils.exceptions import LMUnsupportedFeatureError
from hypothesis import event, given
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature, typed
from _strategies_local import chat_replies, demos_for, inputs_for, json_replies, signatures
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.backend import input_rules
from dspex_core.errors import AdapterParseError, ConfigError, InputError
from dspex_core.testing import strategies as kit
from dspex_core.testing.server import LocalLMServer
from dspex_native.lm.providers import is_openai_reasoning_model
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
from dspex_native.modules.predict import implementation as predict

warnings.filterwarnings("ignore", module="dspy")

MODELS = ("openai/gpt-4o-mini", "openai/gpt-3.5-turbo", "openai/local-model")


def _snapshot_models() -> list[str]:
    """Every OpenAI chat model dspy's model metadata snapshot knows (LiteLLM sends the others to
    OpenAI's Responses API, which native does not speak)."""
    from dspy.clients.model_metadata import _snapshot

    names = {key.split("/", 1)[-1] for key, entry in _snapshot().items()
             if isinstance(entry, dict) and entry.get("litellm_provider") == "openai" and entry.get("mode") == "chat"}
    return sorted(name for name in names if "/" not in name)


#: Bare model names both sides read as OpenAI's (lm15's rules; LiteLLM knows these families too).
BARE = ("gpt-", "o1", "o3", "o4", "chat-latest")
#: Providers whose requests LiteLLM writes as it writes OpenAI's (OpenRouter's with its
#: ``usage: {"include": true}`` added).
LITELLM_AS_OPENAI = ("openai", "hosted_vllm", "together_ai", "openrouter")

#: Model names drawn: every OpenAI model of dspy's snapshot, with and without the prefix, names it
#: does not know, and other providers' prefixes (each route and table row gets its turn).
MODEL_NAMES = st.one_of(
    st.sampled_from(MODELS + ("openai/gpt-4o-2024-11-20", "gpt-4.1-2025-04-14", "gpt-5.1", "openai/gpt-5.1")),
    # LiteLLM's "-latest" aliases, which its route sends (and reads its rules for) as the model they
    # name (OpenAI's stand for reasoning models, refused on that route: tests/native/test_lm_providers.py)
    st.sampled_from(["deepseek/deepseek-pro-latest", "deepseek/deepseek-flash-latest", "together_ai/glm-latest"]),
    st.builds(lambda name, prefixed: f"openai/{name}" if prefixed or not name.startswith(BARE) else name,
              st.sampled_from(_snapshot_models()), st.booleans()),
    st.builds(lambda prefix, name: f"{prefix}/{name}",
              st.sampled_from(["openai", "hosted_vllm", "deepseek", "openrouter", "together_ai"]),
              st.one_of(st.sampled_from(["llama-3.1-8b", "deepseek-chat", "openai/gpt-4o", "mixtral"]),
                        st.from_regex(r"[a-z][a-z0-9.\-]{0,12}", fullmatch=True))),
)
KEY = "sk-test-http-parity-0123456789"


class Script:
    """The server's responder: hands out scripted completions in order, ``n`` per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.load([])

    def load(self, completions: list[str]) -> None:
        with self._lock:
            self._left = list(completions)
            self.exhausted = False

    def __call__(self, messages: list, settings: dict) -> list[str]:
        n = int(settings.get("n") or 1)
        with self._lock:
            if len(self._left) < n:
                self.exhausted = True
                raise RuntimeError(f"script exhausted: {n} completions asked, {len(self._left)} left")
            out, self._left = self._left[:n], self._left[n:]
        return out


@pytest.fixture(scope="module")
def served():
    script = Script()
    with LocalLMServer(script) as server:
        yield server, script


# -- strategies ----------------------------------------------------------------------------------

SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    "n": st.integers(1, 3),
    "max_tokens": st.sampled_from([16, 256, 4000]),
    "rollout_id": st.integers(0, 2),
})
LM_SETTINGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.3, 1.0]),
    "max_tokens": st.sampled_from([64, 1000]),
})


def _reasoning_family(model: str) -> bool:
    """OpenAI's reasoning families as LiteLLM and lm15 see them (wider than dspy.LM's own rule,
    which leaves out gpt-5 ``-chat`` models)."""
    name = model.rsplit("/", 1)[-1].lower()
    return name.startswith(("o1", "o3", "o4", "o5")) or re.search(r"gpt-[5-9]", name) is not None


def _with_reasoning(sig: Signature) -> Signature:
    return Signature._make(dict(sig.input_fields),
                           {"reasoning": Field("reasoning", "output", str), **sig.output_fields}, None)


@st.composite
def http_cases(draw) -> dict[str, Any]:
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    spec = None
    if draw(st.booleans()):
        spec = draw(kit.signatures())  # the conformance kit's signatures (three written forms)
        sig = spec.signature()
    else:
        sig = draw(signatures(exclude=("reasoning",)))
    replied = _with_reasoning(sig) if module == "chain_of_thought" else sig
    config = draw(SETTINGS)
    call_config = draw(st.one_of(st.none(), SETTINGS))
    lm_settings = draw(LM_SETTINGS)
    n = (call_config or {}).get("n") or config.get("n") or 1
    adapter = draw(st.sampled_from(["chat", "chat", "json"]))

    def reply(first_round: bool) -> str:
        if not first_round or adapter == "json":
            return draw(json_replies(replied))
        if spec is not None and draw(st.booleans()):
            return draw(kit.replies(kit.reply_fields(spec, module)))
        return draw(chat_replies(replied))

    completions = [reply(True) for _ in range(n)] + [reply(False) for _ in range(n)]
    engine = draw(st.sampled_from([None, "litellm"]))
    if engine is not None:
        lm_settings = {**lm_settings, "engine": engine}
    model = draw(MODEL_NAMES)
    if engine == "litellm" and "/" in model and model.split("/", 1)[0] not in LITELLM_AS_OPENAI:
        model = "openai/" + model.split("/", 1)[1]
    if engine == "litellm" and model.count("/") > 1:
        # LiteLLM reads a provider name inside the model name ("openai/openai/gpt-4o" as gpt-4o's
        # entry: a json_schema), native's LiteLLM table only the name as written (json_object):
        # a known difference (docs/engines.md), not drawn on that route
        model = model.rsplit("/", 1)[0].split("/", 1)[0] + "/" + model.rsplit("/", 1)[1]
    if _reasoning_family(model):
        # Both of dspy's routes apply per-model rules of their own to OpenAI's reasoning families
        # (a temperature other than 1 refused or adapted, the token limit renamed for
        # gpt-5.x-chat) that native does not make (docs/limits.md): those settings are not drawn
        unset = ("temperature", "n", "max_tokens")
        config = {k: v for k, v in config.items() if k not in unset}
        call_config = {k: v for k, v in call_config.items() if k not in unset} if call_config else call_config
        lm_settings = {k: v for k, v in lm_settings.items() if k not in unset}
    if is_openai_reasoning_model(model):  # what dspy.LM (and dspex.LM) accept for these
        lm_settings = {k: v for k, v in lm_settings.items() if k == "engine"}
        lm_settings.update(draw(st.fixed_dictionaries({}, optional={"temperature": st.just(1.0),
                                                                  "max_tokens": st.sampled_from([16000, 20000])})))
    return dict(module=module, sig=sig, demos=draw(demos_for(sig)), inputs=draw(inputs_for(sig)),
                config=config, call_config=call_config, lm_settings=lm_settings, model=model,
                adapter=adapter, completions=completions, is_async=draw(st.booleans()))


# -- the two sides -------------------------------------------------------------------------------

def _fields(pred: Any) -> tuple:
    completions = [dict(c) for c in pred.completions] if len(pred.completions) > 1 else None
    return ("ok", {k: pred[k] for k in pred.keys()}, completions)


def run_native(server, case) -> tuple:
    impl = chain_of_thought if case["module"] == "chain_of_thought" else predict
    lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    state = impl.create(case["sig"], demos=list(case["demos"]), adapter=case["adapter"], config=dict(case["config"]))
    options: dict[str, Any] = {"lm": lm}
    if case["call_config"]:
        options["config"] = dict(case["call_config"])
    try:
        if case["is_async"]:
            pred = asyncio.run(impl.aexecute(state, dict(case["inputs"]), **options))
        else:
            pred = impl.execute(state, dict(case["inputs"]), **options)
    except AdapterParseError as exc:
        assert KEY not in str(exc) and KEY not in repr(exc)
        return ("parse_error", None, None)
    except ConfigError as exc:  # a setting LiteLLM refuses for the model (engine="litellm"), before sending
        if "LiteLLM refuses" not in str(exc):
            raise
        return ("refused", None, None)
    except InputError:  # a list of non-strings given to a str field (dspy: TypeError)
        return ("input_error", None, None)
    return _fields(pred)


def run_dspy(server, case) -> tuple:
    if not input_rules.required_inputs(case["sig"].input_fields) <= set(case["inputs"]):
        # dspex's input rule (docs/module-types.md): a missing input is refused before any request,
        # where DSPy 3.4 only warns and sends the prompt without it; that is what native must do
        return ("input_error", None, None)
    lm = dspy.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
    dsig = to_dspy_signature(case["sig"])
    if case["module"] == "chain_of_thought":
        program = dspy.ChainOfThought(dsig, **case["config"])
        predictor = program.predict
    else:
        program = predictor = dspy.Predict(dsig, **case["config"])
    predictor.demos = [dspy.Example(**d) for d in case["demos"]]
    kwargs = dict(case["inputs"])
    if case["call_config"]:
        kwargs["config"] = dict(case["call_config"])
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter() if case["adapter"] == "json" else None):
        try:
            pred = asyncio.run(program.acall(**kwargs)) if case["is_async"] else program(**kwargs)
        except DspyParseError:
            return ("parse_error", None, None)
        except LMUnsupportedFeatureError:  # LiteLLM's refusal of a setting for the model
            return ("refused", None, None)
        except TypeError:
            return ("input_error", None, None)
    return _fields(pred)


def recorded_run(served, case, run) -> tuple:
    """Run one side on a fresh server log and a fresh copy of the script: (outcome, request bodies)."""
    server, script = served
    server.reset()
    script.load(case["completions"])
    outcome = run(server, case)
    assert not script.exhausted, "asked for more completions than the case scripts"
    bodies = [r["body"] for r in server.chat_requests]
    assert all(r["auth"] for r in server.chat_requests)
    return outcome, bodies


# -- the comparison ------------------------------------------------------------------------------

def assert_same_http_run(native, reference) -> None:
    (n_out, n_bodies), (d_out, d_bodies) = native, reference
    assert len(n_bodies) == len(d_bodies), (n_bodies, d_bodies)
    for mine, theirs in zip(n_bodies, d_bodies):
        assert mine["messages"] == theirs["messages"]  # same strings: the same bytes on the wire
        assert mine == theirs  # model, temperature, max tokens, n, response_format, anything else
    assert n_out[0] == d_out[0], (n_out, d_out)
    if n_out[0] == "ok":
        assert typed(n_out[1]) == typed(d_out[1])
        assert typed(n_out[2]) == typed(d_out[2])
    if n_out[0] == "input_error":
        assert n_bodies == d_bodies == []


@given(http_cases())
def test_native_over_http_runs_exactly_as_dspy_over_http(served, case):
    native = recorded_run(served, case, run_native)
    assert_same_http_run(native, recorded_run(served, case, run_dspy))
    event(f"{native[0][0]} after {len(native[1])} request(s)")


# -- the two routes and the failure path, spelled out once ------------------------------------------

def _case(**overrides) -> dict[str, Any]:
    case = dict(module="predict", sig=Signature("question -> answer: int"), demos=[], inputs={"question": "q"},
                config={}, call_config=None, lm_settings={}, model="openai/gpt-4o-mini", adapter="chat",
                completions=[], is_async=False)
    case.update(overrides)
    return case


COT_REPLIES = [f"[[ ## reasoning ## ]]\nr{i}\n\n[[ ## answer ## ]]\n{i}\n\n[[ ## completed ## ]]" for i in range(3)]


@pytest.mark.parametrize("is_async", [False, True])
def test_n_is_n_requests_on_dspys_own_engine(served, is_async):
    case = _case(module="chain_of_thought", config={"n": 3}, completions=COT_REPLIES, is_async=is_async)
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    assert len(native[1]) == 3 and all("n" not in b for b in native[1])
    assert [b["temperature"] for b in native[1]] == [0.7] * 3  # DSPy's rule for n > 1 at a low temperature
    assert [c["answer"] for c in native[0][2]] == [0, 1, 2]


@pytest.mark.parametrize("is_async", [False, True])
def test_n_is_one_request_on_the_litellm_route(served, is_async):
    case = _case(module="chain_of_thought", config={"n": 3}, completions=COT_REPLIES, is_async=is_async,
                 lm_settings={"engine": "litellm"})
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    assert [b.get("n") for b in native[1]] == [3]
    assert [c["answer"] for c in native[0][2]] == [0, 1, 2]


@pytest.mark.parametrize("engine, field", [(None, "max_completion_tokens"), ("litellm", "max_tokens")])
def test_the_token_limit_is_named_as_each_route_names_it(served, engine, field):
    lm_settings = {"max_tokens": 100, "temperature": 0.2, **({"engine": engine} if engine else {})}
    case = _case(lm_settings=lm_settings, call_config={"max_tokens": 50},
                 completions=["[[ ## answer ## ]]\n7\n\n[[ ## completed ## ]]"])
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    assert native[1][0][field] == 50 and len(native[1][0]) == 4  # model, messages, temperature, the limit
    assert native[0][1] == {"answer": 7}


@pytest.mark.parametrize("model", MODELS)
def test_unparseable_replies_fail_on_both_after_two_requests(served, model):
    case = _case(model=model, completions=["no markers here", "still not json"])
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    assert native[0][0] == "parse_error" and len(native[1]) == 2
    fallback = {"openai/gpt-4o-mini": "json_schema", "openai/gpt-3.5-turbo": "json_object",
                "openai/local-model": None}[model]
    assert (native[1][1].get("response_format") or {}).get("type") == fallback


# -- LiteLLM's per-model rules (engine="litellm"), spelled out once ----------------------------------

@pytest.mark.parametrize(("model", "overrides", "outcome", "requests"), [
    # its config lists no response_format for gpt-4 (dspy, asking with "openai/gpt-4", offers it)
    ("openai/gpt-4", {"adapter": "json"}, "refused", 0),
    ("openai/gpt-3.5-turbo-16k", {"adapter": "json"}, "refused", 0),
    # the chat adapter's JSON retry asks for JSON mode: refused after the first request
    ("openai/gpt-4", {"completions": ["no markers"]}, "refused", 1),
    ("gpt-4", {"adapter": "json", "completions": ['{"answer": 1}']}, "ok", 1),  # a bare name: not offered
    # the search models take no temperature (nor n, for which DSPy sets one)
    ("openai/gpt-5-search-api", {"lm_settings": {"temperature": 1.0}}, "refused", 0),
    ("openai/gpt-5-search-api", {"config": {"n": 2}}, "refused", 0),
    ("openai/gpt-5-search-api", {"completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
    ("openai/gpt-4o-search-preview", {"lm_settings": {"temperature": 0.0},
                                      "completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
    # o3/o4: the system message goes as a user message
    ("openai/o3-mini", {"completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
    ("o4-mini", {"completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
    # Mistral's config lists no n: n=2 refused, n=1 left out
    ("mistral/mistral-large-latest", {"config": {"n": 2}}, "refused", 0),
    ("mistral/mistral-large-latest", {"config": {"n": 1},
                                      "completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
    # an unsupported user is left out, not refused (a model outside OpenAI's catalog)
    ("openai/local-model", {"lm_settings": {"user": "u1"},
                            "completions": ["[[ ## answer ## ]]\n1\n\n[[ ## completed ## ]]"]}, "ok", 1),
])
def test_litellm_per_model_rules(served, model, overrides, outcome, requests):
    case = _case(model=model, **{**overrides, "lm_settings": {"engine": "litellm", **overrides.get("lm_settings", {})}})
    native, reference = recorded_run(served, case, run_native), recorded_run(served, case, run_dspy)
    assert_same_http_run(native, reference)
    assert native[0][0] == outcome and len(native[1]) == requests
    if model.rsplit("/", 1)[-1].startswith(("o3", "o4")):
        assert [m["role"] for m in native[1][0]["messages"]] == ["user", "user"]
    if "user" in case["lm_settings"]:
        assert "user" not in native[1][0]
