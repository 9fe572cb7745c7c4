"""``ref.render(**inputs)``: the request the next call sends, without calling the LM, on both backends.

For generated signatures, demos, inputs, module and call settings and adapters, on native and
on dspy (real dspy's adapter and settings, the LM call intercepted):

- what ``render`` returns is exactly the first request the next call then sends to the same
  recording LM (messages byte for byte, the keyword settings as the LM receives them);
- native's render equals dspy's (messages, settings, model);
- a ``dspex.LM`` over HTTP: the server gets render's messages and settings (as the engine shapes
  them for the wire: one request per completion, the token limit's field), on both backends;
- render makes no LM request, and never shows an API key.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

import dspex_core as dspex
from _strategies_local import demos_for, inputs_for, signatures
from dspex_core.errors import CapabilityError, DspexError, InputError
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")

BACKENDS = ("native", "dspy")
KEY = "sk-render-parity-0123456789abcdef"
GARBAGE = "not a parseable reply"

CONFIGS = st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    "n": st.integers(1, 3),
    "max_tokens": st.sampled_from([16, 256]),
    "top_p": st.sampled_from([0.5, 1.0]),
    "stop": st.sampled_from([["\n\n"], ["END"]]),
})


@st.composite
def cases(draw) -> dict[str, Any]:
    sig = draw(signatures(exclude=("reasoning",)))
    return {
        "module": draw(st.sampled_from(["predict", "chain_of_thought"])),
        "signature": sig,
        "demos": draw(demos_for(sig, max_demos=2)),
        "inputs": draw(inputs_for(sig, allow_missing=False)),
        "config": draw(CONFIGS),
        "call_config": draw(st.one_of(st.none(), CONFIGS)),
        "adapter": draw(st.sampled_from([None, "chat", "json"])),
    }


def _outcome(backend: str, case: dict[str, Any], lm: Any) -> tuple[str, Any]:
    """``("ok", (render, first request sent))`` or ``("error", class name)`` on ``backend``."""
    options = {"demos": case["demos"], **case["config"]}
    if case["adapter"]:
        options["adapter"] = case["adapter"]
    call = {"config": case["call_config"]} if case["call_config"] else {}
    try:
        ref = dspex.create(case["module"], case["signature"], implementation=backend, lm=lm, **options)
        shown = ref.render(**case["inputs"], **call)
    except (InputError, TypeError):
        # A list of non-strings given to a str field: dspy raises TypeError, native InputError
        # (the oracle's known difference, as for calls).
        return "error", "InputError"
    except DspexError as exc:
        return "error", type(exc).__name__
    assert lm.calls == [], f"{backend} render called the LM"
    try:
        ref(**case["inputs"], **call)
    except Exception:  # noqa: BLE001 - the garbage reply fails to parse; the request is what counts
        pass
    assert lm.calls, f"{backend}: the call sent no request"
    return "ok", (shown, lm.calls[0])


@hsettings(deadline=None)
@given(cases())
def test_render_is_the_next_request_and_equal_on_both_backends(case):
    results = {b: _outcome(b, case, RecordingLM(lambda messages, settings: GARBAGE, model="render/lm"))
               for b in BACKENDS}
    assert results["native"][0] == results["dspy"][0], results
    if results["native"][0] == "error":
        assert results["native"][1] == results["dspy"][1]
        return
    for backend in BACKENDS:
        shown, sent = results[backend][1]
        assert shown["messages"] == sent.messages, backend
        assert shown["settings"] == sent.settings, backend
        assert shown["model"] == "render/lm"
    assert results["native"][1][0] == results["dspy"][1][0]


@pytest.fixture(scope="module")
def server():
    with LocalLMServer(lambda messages, settings: [GARBAGE] * int(settings.get("n") or 1)) as served:
        yield served


@hsettings(deadline=None, max_examples=25)
@given(case=cases(), lm_settings=st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.7]), "max_tokens": st.sampled_from([64, 1000])}))
def test_render_over_http_is_the_request_body(server, case, lm_settings):
    lm = dspex.LM("openai/render-model", api_base=server.url, api_key=KEY, num_retries=0, cache=False,
                  **lm_settings)
    shown = {}
    for backend in BACKENDS:
        options = {"demos": case["demos"], **case["config"]}
        if case["adapter"]:
            options["adapter"] = case["adapter"]
        call = {"config": case["call_config"]} if case["call_config"] else {}
        try:
            ref = dspex.create(case["module"], case["signature"], implementation=backend, lm=lm, **options)
            shown[backend] = ref.render(**case["inputs"], **call)
        except (InputError, TypeError):  # the known difference, as in _outcome above
            shown[backend] = "InputError"
            continue
        except DspexError as exc:
            shown[backend] = type(exc).__name__
            continue
        server.reset()
        assert KEY not in json.dumps(shown[backend], default=str)
        try:
            ref(**case["inputs"], **call)
        except Exception:  # noqa: BLE001
            pass
        body = dict(server.chat_requests[0]["body"])
        assert shown[backend]["messages"] == body.pop("messages"), backend
        assert shown[backend]["model"] == "openai/render-model"
        # the settings are the call's, before the engine shapes them for the wire (one request per
        # completion, the token limit's field): every key sent is one of them or that shaping's
        sent = {k for k in body if k != "model"} - {"max_completion_tokens"}
        assert sent <= set(shown[backend]["settings"]), (backend, body, shown[backend]["settings"])
    assert shown["native"] == shown["dspy"]


def test_render_makes_no_request_and_needs_no_server():
    """An LM whose server does not exist: render still answers, no request is attempted."""
    lm = dspex.LM("openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1", api_key=KEY, temperature=0.2)
    for backend in BACKENDS:
        ref = dspex.ChainOfThought.create("question -> answer", implementation=backend, lm=lm)
        shown = ref.render(question="What is DSPy?")
        assert shown["settings"] == {"temperature": 0.2}
        assert shown["messages"][-1]["content"].startswith("[[ ## question ## ]]\nWhat is DSPy?")
        assert KEY not in json.dumps(shown)


def _lookup(term: str) -> str:
    """Look a term up."""
    return term


def test_a_module_type_without_render_names_the_backend():
    lm = RecordingLM(GARBAGE)
    inner = dspex.create("predict", "question -> answer", implementation="dspy", lm=lm)
    ref = dspex.create("parallel", inner, implementation="dspy")
    with pytest.raises(CapabilityError, match="dspy backend cannot render 'parallel'"):
        ref.render(examples=[{"question": "q"}])
    assert lm.calls == []


# -- module types that run predictors in a loop: the first request ----------------------------------

def _zero(args, pred):
    return 0.0


def _looping(module_type: str, backend: str, signature: Any, options: dict[str, Any]):
    """A ``module_type`` module on ``backend`` (the reward loops around a ``predict``)."""
    if module_type in ("best_of_n", "refine"):
        # the adapter is the loop's own option (the dspy backend's loop runs the wrapped dspy module
        # directly, so an adapter given to the inner module is not applied there: a known difference)
        adapter = {"adapter": options.pop("adapter")} if "adapter" in options else {}
        inner = dspex.create("predict", signature, implementation=backend, **options)
        return dspex.create(module_type, inner, N=2, reward_fn=_zero, threshold=1.0, implementation=backend,
                            **adapter)
    if module_type == "react":
        return dspex.create("react", signature, tools=[_lookup], max_iters=2, implementation=backend, **options)
    if module_type == "multi_chain_comparison":
        return dspex.create(module_type, signature, M=2, implementation=backend, **options)
    return dspex.create(module_type, signature, implementation=backend, **options)


def _loop_inputs(module_type: str, signature: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    if module_type != "multi_chain_comparison":
        return inputs
    last = list(signature.output_fields)[-1]
    return {**inputs, "completions": [{"reasoning": "first try\nmore", last: "x"}, {"rationale": "second", last: "y"}]}


LOOPING = ["react", "multi_chain_comparison", "best_of_n", "refine", "program_of_thought"]


@st.composite
def loop_cases(draw) -> dict[str, Any]:
    sig = draw(signatures(exclude=("reasoning", "rationale", "completions", "trajectory", "next_thought",
                                   "next_tool_name", "next_tool_args", "generated_code", "previous_code", "error",
                                   "final_generated_code", "code_output", "reasoning_attempt_1",
                                   "reasoning_attempt_2")))
    options = draw(st.fixed_dictionaries({}, optional={"temperature": st.sampled_from([0.0, 0.5]),
                                                       "max_tokens": st.sampled_from([64, 512])}))
    return {"module": draw(st.sampled_from(LOOPING)), "signature": sig, "options": options,
            "inputs": draw(inputs_for(sig, allow_missing=False)),
            "adapter": draw(st.sampled_from([None, "chat", "json"]))}


def _loop_outcome(backend: str, case: dict[str, Any]) -> tuple[str, Any]:
    lm = RecordingLM(lambda messages, settings: GARBAGE, model="render/lm")
    options = {**case["options"], "lm": lm}
    if case["adapter"]:
        options["adapter"] = case["adapter"]
    inputs = _loop_inputs(case["module"], case["signature"], case["inputs"])
    try:
        ref = _looping(case["module"], backend, case["signature"], options)
        shown = ref.render(**inputs)
    except (InputError, TypeError):  # the known difference of a list of non-strings in a str field
        return "error", "InputError"
    except DspexError as exc:
        return "error", type(exc).__name__
    assert lm.calls == [], f"{backend} render called the LM"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref(**inputs)
        except Exception:  # noqa: BLE001 - the garbage reply fails; the first request is what counts
            pass
    assert lm.calls, f"{backend}: the call sent no request"
    return "ok", (shown, lm.calls[0])


@hsettings(deadline=None, max_examples=30)
@given(loop_cases())
def test_loops_render_their_first_request_equal_on_both_backends(case):
    results = {b: _loop_outcome(b, case) for b in BACKENDS}
    assert results["native"][0] == results["dspy"][0], results
    if results["native"][0] == "error":
        assert results["native"][1] == results["dspy"][1]
        return
    for backend in BACKENDS:
        shown, sent = results[backend][1]
        assert shown["messages"] == sent.messages, backend
        assert shown["settings"] == sent.settings, backend
    assert results["native"][1][0] == results["dspy"][1][0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loop_renders_without_running_a_tool_or_recording_history(backend):
    ran = []

    def tool(term: str) -> str:
        """Look a term up."""
        ran.append(term)
        return term

    lm = RecordingLM(GARBAGE)
    ref = dspex.create("react", "question -> answer", tools=[tool], implementation=backend, lm=lm)
    from dspex_core._history import history

    before = len(history())
    shown = ref.render(question="q")
    assert "next_thought" in shown["messages"][0]["content"] and ran == [] and lm.calls == []
    assert len(history()) == before
