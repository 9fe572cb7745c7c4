"""Parity over real HTTP for ``logprobs=True``: native's direct LM call and predictors against
plain dspy 3.4 on its default engine, on one local OpenAI-compatible server.

Hypothesis draws the model, where ``logprobs`` is set (the LM or the call), ``top_logprobs``, ``n``
and each completion's token logprobs as a server may send them (entries with and without
``bytes`` or alternatives, integer logprobs, malformed entries, none at all). Per case: the same
requests (whole bodies, as many), the same outputs (``{"text", "logprobs"}`` dicts, the logprobs
readable as attributes on both), and the same predictions (their ``logprobs`` field, every
completion's). On LiteLLM's route dspy hands on LiteLLM's own objects, which native does not
build: a CapabilityError before anything is sent.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_native.modules.lm import implementation as lm_call

from test_lm_call_http import served  # noqa: F401 - the module's local server, as a fixture here too
from test_predict_http import KEY

warnings.filterwarnings("ignore", module="dspy")

MODELS = ("openai/gpt-4o-mini", "openai/local-model", "gpt-4.1-2025-04-14", "hosted_vllm/llama-3.1-8b")
TOKEN = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4)
LOGPROB = st.one_of(st.floats(-20, 0, allow_nan=False), st.integers(-5, 0))
BYTES = st.lists(st.integers(0, 255), max_size=4)


def _entry(token: str, logprob: float, raw: Any, tops: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"token": token, "logprob": logprob}
    if raw != "absent":
        entry["bytes"] = raw
    if tops != "absent":
        entry["top_logprobs"] = tops
    return entry


ALTERNATIVE = st.one_of(
    st.builds(lambda t, lp, raw: _entry(t, lp, raw, "absent"), TOKEN, LOGPROB, st.one_of(BYTES, st.none(),
                                                                                        st.just("absent"))),
    st.just({"token": "no logprob"}), st.just({"logprob": -1.0}))
ENTRY = st.one_of(
    st.builds(_entry, TOKEN, LOGPROB, st.one_of(BYTES, st.none(), st.just("absent")),
              st.one_of(st.lists(ALTERNATIVE, max_size=3), st.just([]), st.just("absent"))),
    st.just({"token": "only a token"}), st.just("not an entry"))
CHOICE_LOGPROBS = st.one_of(
    st.builds(lambda content: {"content": content, "refusal": None}, st.lists(ENTRY, max_size=4)),
    st.builds(lambda content: {"content": content}, st.lists(ENTRY, max_size=2)),
    st.just({"content": None}), st.just("absent"))


def _completion(text: str, logprobs: Any) -> Any:
    return {"content": text} if logprobs == "absent" else {"content": text, "logprobs": logprobs}


@st.composite
def cases(draw) -> dict[str, Any]:
    call: dict[str, Any] = draw(st.fixed_dictionaries({}, optional={
        "n": st.integers(1, 3), "top_logprobs": st.integers(0, 3), "temperature": st.sampled_from([0.0, 1.0])}))
    lm_settings: dict[str, Any] = {}
    (lm_settings if draw(st.booleans()) else call)["logprobs"] = True
    return dict(model=draw(st.sampled_from(MODELS)), lm_settings=lm_settings, call=call,
                logprobs=draw(st.lists(CHOICE_LOGPROBS, min_size=call.get("n", 1), max_size=call.get("n", 1))))


def _bodies(server) -> list[dict[str, Any]]:
    return [r["body"] for r in server.chat_requests]


@settings(max_examples=25, deadline=None)
@given(cases(), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20))
def test_a_direct_lm_call_returns_the_logprobs_dspy_lm_does(served, case, text):
    server, script = served
    completions = [_completion(text, lp) for lp in case["logprobs"]]
    sides = []
    for run in ("native", "dspy"):
        server.reset()
        script.load(completions)
        if run == "native":
            lm = dspex.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                          **case["lm_settings"])
            outputs = lm_call.execute(lm_call.create(lm=lm), {"prompt": "hi"}, config=dict(case["call"])).outputs
        else:
            lm = dspy.LM(case["model"], api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                         **case["lm_settings"])
            outputs = lm("hi", **case["call"])
        assert not script.exhausted
        sides.append((outputs, _bodies(server)))
    (mine, my_bodies), (theirs, their_bodies) = sides
    assert my_bodies == their_bodies
    assert mine == theirs and all(type(o) is dict for o in mine)
    for output in mine:
        for entry in output["logprobs"].content:  # attributes, as on dspy's AttributeDict
            assert entry.token == entry["token"] and [t.logprob for t in entry.top_logprobs] == \
                [t["logprob"] for t in entry["top_logprobs"]]


CHAT_REPLY = "[[ ## reasoning ## ]]\nthink\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


@settings(max_examples=20, deadline=None)
@given(cases(), st.sampled_from(["predict", "chain_of_thought"]), st.integers(0, 99))
def test_a_prediction_carries_the_logprobs_dspy_gives_it(served, case, module, answer):
    server, script = served
    completions = [_completion(CHAT_REPLY.format(answer=answer + i), lp) for i, lp in enumerate(case["logprobs"])]
    signature = "question -> answer: int"
    sides = []
    for run in ("native", "dspy"):
        server.reset()
        script.load(completions)
        settings_ = dict(api_base=server.url, api_key=KEY, cache=False, num_retries=0, **case["lm_settings"])
        if run == "native":
            ref = dspex.create(module, signature, implementation="native")
            pred = ref(question="q", lm=dspex.LM(case["model"], **settings_), config=dict(case["call"]))
        else:
            program = dspy.Predict(signature) if module == "predict" else dspy.ChainOfThought(signature)
            with dspy.context(lm=dspy.LM(case["model"], **settings_)):
                pred = program(question="q", config=dict(case["call"]))
        assert not script.exhausted
        outcome = [{k: c[k] for k in c.keys()} for c in pred.completions] if len(case["logprobs"]) > 1 else \
            {k: pred[k] for k in pred.keys()}
        sides.append((outcome, _bodies(server)))
    (mine, my_bodies), (theirs, their_bodies) = sides
    assert my_bodies == their_bodies
    assert mine == theirs


def test_logprobs_on_litellms_route_are_refused_before_anything_is_sent(served):
    server, script = served
    server.reset()
    lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key=KEY, engine="litellm", logprobs=True)
    with pytest.raises(dspex.CapabilityError, match="logprobs on LiteLLM's route"):
        dspex.create("lm", lm=lm, implementation="native")(prompt="hi")
    with pytest.raises(dspex.CapabilityError, match="logprobs on LiteLLM's route"):
        dspex.create("predict", "question -> answer", implementation="native")(question="q", lm=lm)
    assert server.chat_requests == []


@pytest.fixture(scope="module")
def streamed():
    """A server whose streamed replies are cut where the test says (the token entries one per event)."""
    from dspex_core.testing.server import LocalLMServer

    state = {"reply": None, "cuts": []}

    def chunk(text: str) -> list[str]:
        points = [0, *sorted({c for c in state["cuts"] if 0 < c < len(text)}), len(text)]
        return [text[a:b] for a, b in zip(points, points[1:])]

    with LocalLMServer(lambda messages, settings: [state["reply"]], stream_chunk_size=chunk) as server:
        yield server, state


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([m for m in MODELS]), st.sampled_from(["predict", "chain_of_thought"]), st.integers(0, 99),
       CHOICE_LOGPROBS, st.lists(st.integers(0, 60), max_size=6), st.booleans())
def test_a_streamed_prediction_carries_the_logprobs_dspy_streamify_gives_it(streamed, model, module, answer, logprobs,
                                                                            cuts, on_lm):
    """``logprobs=True`` while streaming (dspy's own engine): the token entries of the events that
    carried text, in order, on the prediction and in the history, as ``dspy.streamify`` gives them."""
    from dspex_core._history import clear_history

    server, state = streamed
    text = ("[[ ## reasoning ## ]]\nr\n\n" if module == "chain_of_thought" else "") + \
        f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"
    state["reply"], state["cuts"] = _completion(text, logprobs), cuts
    signature = "question -> answer: int"
    lm_settings = dict(api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                       **({"logprobs": True} if on_lm else {}))
    config = {} if on_lm else {"logprobs": True}

    server.reset()
    program = dspy.Predict(signature) if module == "predict" else dspy.ChainOfThought(signature)
    listeners = [dspy.streaming.StreamListener(signature_field_name="answer")]
    lm = dspy.LM(model, **lm_settings)
    with dspy.context(lm=lm):
        theirs = list(dspy.streamify(program, stream_listeners=listeners, async_streaming=False)(
            question="q", config=dict(config)))[-1]
    their_bodies = _bodies(server)

    server.reset()
    clear_history()
    *_, mine = list(dspex.create(module, signature, implementation="native").stream(
        question="q", lm=dspex.LM(model, **lm_settings), config=dict(config)))
    assert _bodies(server) == their_bodies and their_bodies[0]["stream"] is True
    assert {k: mine[k] for k in mine.keys()} == {k: theirs[k] for k in theirs.keys()}
    assert mine.logprobs == theirs.logprobs and "logprobs" in mine.keys()
    assert dspex.history()[-1]["outputs"] == lm.history[-1]["outputs"]
