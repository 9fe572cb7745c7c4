"""Native ``best_of_n``, ``refine`` and ``retry`` against the dspy backend (real ``dspy.BestOfN``/``dspy.Refine``).

Hypothesis draws the wrapped module (``predict`` or ``chain_of_thought``, its signature, demos and
LM settings, sometimes another loop around it), ``N``, ``threshold``, ``fail_count``, the reward of
every attempt (numbers of several types, NaN, or an exception), the inputs, the LM's replies to the
module (well-formed, malformed, JSON) and to Refine's advice request (advice for the module's
predictors or for others, malformed), whether the module is called once or twice (``fail_count``
is spent across calls, as in DSPy) and whether sync or async. Both sides must send the same
requests: messages byte for byte, except the text of ``program_code`` in the advice request
(dspy sends its own source, native its implementation's: docs/module-types.md), every setting
(``rollout_id`` and ``temperature=1.0`` per attempt, the module's own settings over them, none on
the advice request), in the same number and order; return the same prediction (or ``None``) or
fail the same way; and print the same failed attempts.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import dspex_core as dspex
from _loop_runs import assert_same, run_both
from _strategies_local import TEXT, _json, chat_replies, demos_for, inputs_for, json_replies, signatures
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing.conformance._loop_cases import rewarder

LOOPS = ("best_of_n", "refine", "retry")
REWARDS = st.one_of(
    st.sampled_from([0.0, 0.25, 0.5, 1.0, 1, 0, True, 1e-05, 1e20, -3.5, 0.30000000000000004, math.nan]),
    st.floats(-2, 2, allow_nan=False, width=32),
    st.just("raise"),
)


class RewardObject:
    """A callable object as the reward: DSPy shows the LM its class's source."""

    def __init__(self, values: list[Any]):
        self.reward = rewarder(values)

    def __call__(self, args, pred):
        return self.reward(args, pred)


def with_reasoning(sig: Signature) -> Signature:
    return Signature._make(dict(sig.input_fields),
                           {"reasoning": Field("reasoning", "output", str), **sig.output_fields}, None)


@st.composite
def advice_replies(draw, names: list[str]) -> str:
    """A reply to Refine's advice request: advice for the module's predictors (or others), or not."""
    mode = draw(st.sampled_from(["ok", "ok", "ok", "others", "empty", "not_a_dict", "missing", "json"]))
    keys = names if mode == "ok" else draw(st.lists(st.sampled_from(["self", "predict", "module", "other"]),
                                                    max_size=2, unique=True))
    advice = {key: draw(st.one_of(TEXT, st.sampled_from(["Answer in one word.", "N/A"]))) for key in keys}
    if mode == "empty":
        advice = {}
    discussion = draw(TEXT)
    # as the adapters' parity tests write JSON: line separators escaped (json_repair's handling of raw
    # ones inside strings is a known limit of the native adapters, not of the loops)
    if mode == "json":
        return _json({"discussion": discussion, "advice": advice})
    text = _json(advice) if mode != "not_a_dict" else draw(st.sampled_from(["N/A", "[1]"]))
    if mode == "missing":
        return f"[[ ## discussion ## ]]\n{discussion}\n\n[[ ## completed ## ]]"
    return f"[[ ## discussion ## ]]\n{discussion}\n\n[[ ## advice ## ]]\n{text}\n\n[[ ## completed ## ]]"


class Script:
    """The LM's replies, by kind of request: the advice request gets the advice replies in turn,
    every other request the module replies in turn (one list per run, so both sides get the same)."""

    def __init__(self, module: list[str], advice: list[str]):
        self.module = module
        self.advice = advice

    def fresh(self):
        """The replies for one side: a callable consuming its own copies of the lists."""
        module, advice = list(self.module), list(self.advice)

        def reply(messages, settings):
            queue = advice if "`program_code`" in messages[0]["content"] else module
            if not queue:
                raise RuntimeError("the script has no reply left for this request")
            return queue.pop(0)

        return reply


INNER_CONFIGS = st.one_of(st.just({}), st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.5]),
    "n": st.integers(1, 2),
    "rollout_id": st.integers(0, 9),
    "max_tokens": st.just(64),
}))


@st.composite
def cases(draw) -> dict[str, Any]:
    loop = draw(st.sampled_from(LOOPS))
    inner = draw(st.sampled_from(["predict", "chain_of_thought"]))
    nest = draw(st.sampled_from([None] * 6 + ["best_of_n", "refine"]))
    sig = draw(signatures(exclude=("reasoning",)))
    replied = with_reasoning(sig) if inner == "chain_of_thought" else sig
    N = draw(st.integers(1, 4))  # noqa: N806
    rewards = draw(st.lists(REWARDS, min_size=6 * N, max_size=6 * N))
    inputs = draw(inputs_for(sig, allow_missing=draw(st.integers(0, 15)) == 0))
    for name, field in sig.input_fields.items():  # a list of non-strings for a str field: an input error
        value = inputs.get(name)
        if field.annotation is str and isinstance(value, list) and not all(isinstance(v, str) for v in value):
            inputs[name] = draw(TEXT)
    names = ["predict" if inner == "chain_of_thought" else "self"]
    if nest is not None:
        names = ["module" if n == "self" else f"module.{n}" for n in names]
    module_replies = draw(st.lists(st.one_of(chat_replies(replied), chat_replies(replied), json_replies(replied)),
                                   min_size=30, max_size=30))
    return dict(
        loop=loop, inner=inner, nest=nest, sig=sig, demos=draw(demos_for(sig, max_demos=2)),
        config=draw(INNER_CONFIGS), N=N, threshold=draw(st.sampled_from([0.0, 0.5, 1.0, 2])),
        fail_count=draw(st.sampled_from([None, None, 0, 1, 2, -1, 5])), rewards=rewards,
        reward_object=draw(st.integers(0, 4)) == 0, inputs=inputs, calls=draw(st.integers(1, 2)),
        script=Script(module_replies, draw(st.lists(advice_replies(names), min_size=12, max_size=12))),
        is_async=draw(st.booleans()),
    )


def build(case: dict[str, Any]):
    def make(backend: str):
        def reward(values):
            return RewardObject(values) if case["reward_object"] else rewarder(values)

        ref = dspex.create(case["inner"], case["sig"], demos=case["demos"], implementation=backend, **case["config"])
        if case["nest"] is not None:
            ref = dspex.create(case["nest"], ref, N=2, reward_fn=reward(case["rewards"][::2]), threshold=1.0,
                               implementation=backend)
        return dspex.create(case["loop"], ref, N=case["N"], reward_fn=reward(case["rewards"]),
                            threshold=case["threshold"], fail_count=case["fail_count"], implementation=backend)

    return make


@given(cases())
def test_native_reward_loops_run_exactly_as_dspy(case):
    calls = [case["inputs"]] * case["calls"]
    native, reference = run_both(build(case), calls, case["script"], case["is_async"])
    event(f"{case['loop']}: outcome {native.outcome[0]}, {len(native.calls)} LM calls, "
          f"{native.printed.count('failed with rollout id')} failed attempts")
    assert_same(native, reference)


def test_the_script_gives_each_side_the_same_replies():
    script = Script(["a", "b"], ["c"])
    for _ in range(2):  # one fresh copy per side
        reply = script.fresh()
        assert [reply([{"content": "x"}], {}), reply([{"content": "`program_code`"}], {})] == ["a", "c"]


# -- examples worth keeping in view ------------------------------------------------------------------

ANSWER = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
ADVICE = '[[ ## discussion ## ]]\nToo long.\n\n[[ ## advice ## ]]\n{"self": "One word."}\n\n[[ ## completed ## ]]'


def _loop(module_type: str, N: int = 3, fail_count: Any = None, **inner_options: Any):  # noqa: N803
    def make(backend: str):
        inner = dspex.create("predict", "question -> answer", implementation=backend, **inner_options)
        return dspex.create(module_type, inner, N=N, reward_fn=lambda args, pred: 0.5, threshold=1.0,
                            fail_count=fail_count, implementation=backend)

    return make


@pytest.mark.parametrize("module_type", LOOPS)
def test_attempts_run_at_temperature_one_with_successive_rollout_ids(module_type):
    script = Script([ANSWER] * 3, [ADVICE] * 2)
    native, reference = run_both(_loop(module_type), [{"question": "q"}], script)
    assert_same(native, reference)
    attempts = [c.settings for c in native.calls if "program_code" not in c.messages[0]["content"]]
    assert attempts == [{"rollout_id": i, "temperature": 1.0} for i in range(3)]
    if module_type != "best_of_n":
        advice = [c for c in native.calls if "program_code" in c.messages[0]["content"]]
        assert len(advice) == 2 and all(c.settings == {} for c in advice)
        assert "[[ ## hint_ ## ]]\nOne word." in native.calls[-1].messages[-1]["content"]


def test_the_module_settings_win_over_the_attempt_copy():
    native, reference = run_both(_loop("best_of_n", temperature=0.2, rollout_id=7), [{"question": "q"}],
                                 Script([ANSWER] * 3, []))
    assert_same(native, reference)
    assert [c.settings for c in native.calls] == [{"rollout_id": 7, "temperature": 0.2}] * 3


def test_fail_count_is_dspys_rule_and_is_spent_across_calls():
    # N=2, fail_count=None -> 2: attempts 0 and 1 fail without raising (idx > fail_count is false),
    # the call returns None; the allowance is now 0, so the next call raises on its second failure.
    script = Script(["no markers"] * 20, [])
    native, reference = run_both(_loop("best_of_n", N=2), [{"question": "q"}] * 2, script)
    assert_same(native, reference)
    assert native.outcome == ("parse_error", None)
    assert native.printed.count("BestOfN: Attempt") == 4


@pytest.mark.parametrize("inner_type, key", [("chain_of_thought", "module.predict"), ("predict", "module")])
@pytest.mark.parametrize("loop_type", ["best_of_n", "refine"])
def test_a_dspy_saved_loop_loads_natively_and_back(loop_type, inner_type, key):
    inner = {b: dspex.create(inner_type, "question -> answer", implementation=b) for b in ("native", "dspy")}
    loops = {b: dspex.create(loop_type, inner[b], N=2, reward_fn=lambda a, p: 1.0, threshold=1.0, implementation=b)
             for b in ("native", "dspy")}
    dumped = {b: loops[b].implementation.dump_state(loops[b].state) for b in loops}
    assert json.loads(json.dumps(dumped["native"])) == json.loads(json.dumps(dumped["dspy"]))
    assert list(dumped["native"]) == [key]
    saved = json.loads(json.dumps(dumped["dspy"]))
    saved[key]["signature"]["instructions"] = "Answer in French."
    saved[key]["demos"] = [{"question": "q0", "reasoning": "r0", "answer": "a0"}]
    loaded = {b: dspex.backend.module_ref(b, loop_type, loops[b].implementation.load_state(
        inner[b], saved, N=2, reward_fn=lambda a, p: 1.0, threshold=1.0)) for b in loops}
    reasoning = "[[ ## reasoning ## ]]\nr\n\n" if inner_type == "chain_of_thought" else ""
    reply = reasoning + "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    native, reference = run_both(lambda b: loaded[b], [{"question": "q"}], [reply])
    assert_same(native, reference)
    assert "Answer in French." in native.calls[0].messages[0]["content"]
    assert native.calls[0].messages[1]["content"].endswith("q0")
