"""Native ``predict`` / ``chain_of_thought`` against plain ``dspy.Predict`` / ``dspy.ChainOfThought``.

Both call the same RecordingLM: the requests (messages byte for byte, settings), the
predictions (values and types, all completions) and the failures (after the same number of
LM calls) must be identical.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from _dspy_oracle import assert_same_run, run_dspy, run_native
from _strategies_local import chat_replies, demos_for, inputs_for, json_replies, signatures
from dspex_core import Signature

CONFIGS = st.one_of(
    st.just({}),
    st.fixed_dictionaries({}, optional={
        "temperature": st.sampled_from([0.0, 0.1, 0.15, 0.5, 1.0]),
        "n": st.integers(1, 3),
        "max_tokens": st.sampled_from([16, 256]),
        "rollout_id": st.integers(0, 3),
    }),
)


@st.composite
def runs(draw):
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = draw(signatures(exclude=("reasoning",)))
    replied = Signature._make(
        dict(sig.input_fields),
        {"reasoning": __import__("dspex_core")._signature.Field("reasoning", "output", str), **sig.output_fields}
        if module == "chain_of_thought" else dict(sig.output_fields),
        None,
    )
    config = draw(CONFIGS)
    call_config = draw(st.one_of(st.none(), CONFIGS))
    n = (call_config or {}).get("n") or config.get("n") or 1
    adapter = draw(st.sampled_from(["chat", "chat", "json"]))
    first = chat_replies if adapter == "chat" else json_replies
    replies = [draw(first(replied)) for _ in range(n)] + [draw(json_replies(replied)) for _ in range(n)]
    return dict(module=module, demos=draw(demos_for(sig)), inputs=draw(inputs_for(sig)), replies=replies,
                config=config, call_config=call_config, adapter=adapter), sig


@given(runs())
def test_native_runs_exactly_as_dspy(case):
    kwargs, sig = case
    assert_same_run(run_native(sig, **kwargs), run_dspy(sig, **kwargs))


@given(runs())
def test_async_runs_exactly_as_dspy(case):
    kwargs, sig = case
    assert_same_run(run_native(sig, is_async=True, **kwargs), run_dspy(sig, is_async=True, **kwargs))


def test_unparseable_reply_retries_once_in_json_then_fails_after_two_calls():
    sig = Signature("question -> answer: int")
    replies = ["no markers here", "still not json"]
    native, reference = run_native(sig, inputs={"question": "q"}, replies=replies), \
        run_dspy(sig, inputs={"question": "q"}, replies=replies)
    assert_same_run(native, reference)
    assert native[0][0] == "parse_error" and len(native[1]) == 2
    assert native[1][1].messages[0]["content"].count("Outputs will be a JSON object") == 1


def test_json_fallback_success_after_a_bad_chat_reply():
    sig = Signature("question -> answer: int, ok: bool")
    replies = ["[[ ## answer ## ]]\nmany", '{"answer": 3, "ok": "yes"}']
    native = run_native(sig, inputs={"question": "q"}, replies=replies)
    assert_same_run(native, run_dspy(sig, inputs={"question": "q"}, replies=replies))
    assert native[0][1] == {"answer": 3, "ok": True}


def test_n_greater_than_one_sets_temperature_and_returns_completions():
    sig = Signature("question -> answer")
    replies = [f"[[ ## answer ## ]]\na{i}\n\n[[ ## completed ## ]]" for i in range(3)]
    native = run_native(sig, inputs={"question": "q"}, replies=replies, config={"n": 3})
    assert_same_run(native, run_dspy(sig, inputs={"question": "q"}, replies=replies, config={"n": 3}))
    assert native[1][0].settings == {"n": 3, "temperature": 0.7}
    assert [c["answer"] for c in native[0][2]] == ["a0", "a1", "a2"]


def test_chain_of_thought_prompt_and_prediction():
    sig = Signature("question -> answer: float")
    reply = "[[ ## reasoning ## ]]\nstep by step\n\n[[ ## answer ## ]]\n2.5\n\n[[ ## completed ## ]]"
    native = run_native(sig, module="chain_of_thought", inputs={"question": "q"}, replies=[reply])
    assert_same_run(native, run_dspy(sig, module="chain_of_thought", inputs={"question": "q"}, replies=[reply]))
    assert list(native[0][1]) == ["reasoning", "answer"] and native[0][1]["answer"] == 2.5


def test_predicted_outputs_move_from_inputs_to_the_request():
    sig = Signature("question, prediction -> answer")
    inputs = {"question": "q", "prediction": {"type": "content", "content": "Paris"}}
    replies = ["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"]
    native = run_native(sig, inputs=inputs, replies=replies)
    assert_same_run(native, run_dspy(sig, inputs=inputs, replies=replies))
    assert native[1][0].settings == {"prediction": {"type": "content", "content": "Paris"}}
