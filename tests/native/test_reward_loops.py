"""The native ``best_of_n``, ``refine`` and ``retry`` modules, without dspy installed.

Bad input fails before any LM call with the dspy backend's messages; the attempts follow DSPy's
rules (rollout ids, ``temperature=1.0``, the first reward reaching the threshold wins, else the
best, ``fail_count``'s ``idx > fail_count`` rule spent across calls, what is printed); Refine's
advice request and hints; async twins; describe, dump/save/load; the LM copies. Whole requests are
compared with real dspy in tests/parity/test_reward_loop_parity.py.
"""

from __future__ import annotations

import asyncio
import json
import math

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError
from dspex_core.backend import ModuleRef
from dspex_core.errors import AdapterParseError
from dspex_core.testing import RecordingLM
from dspex_native.modules.best_of_n import implementation as best_of_n
from dspex_native.modules.refine import implementation as refine
from dspex_native.modules.retry import implementation as retry

ANSWER = "[[ ## answer ## ]]\n{}\n\n[[ ## completed ## ]]"
ADVICE = ('[[ ## discussion ## ]]\nIt rambled.\n\n[[ ## advice ## ]]\n{{"{name}": "Answer with one word."}}'
          '\n\n[[ ## completed ## ]]')


def answers(*texts):
    return [ANSWER.format(t) for t in texts]


def predict(**options):
    return dspex.create("predict", "question -> answer", implementation="native", **options)


def rewards(*values):
    """A reward function giving ``values`` in turn ("raise": a ValueError naming the call)."""
    remaining = list(values)
    seen = []

    def reward(args, pred):
        seen.append((dict(args), pred))
        value = remaining.pop(0)
        if value == "raise":
            raise ValueError(f"reward failed on call {len(seen)}")
        return value

    reward.seen = seen
    return reward


def loop(module_type="best_of_n", inner=None, **options):
    options.setdefault("N", 3)
    options.setdefault("threshold", 1.0)
    options.setdefault("reward_fn", rewards(*[0.0] * 20))
    return dspex.create(module_type, inner or predict(), implementation="native", **options)


# -- bad input, before any LM call ------------------------------------------------------------------

@pytest.mark.parametrize("module_type", ["best_of_n", "refine", "retry"])
@pytest.mark.parametrize("options, message", [
    ({"N": 0}, "needs N= (a positive integer: how many attempts), got 0"),
    ({"N": -2}, "got -2"),
    ({"N": True}, "got True"),
    ({"N": 2.0}, "got 2.0"),
    ({"N": None}, "got None"),
    ({"reward_fn": 1.0}, "needs reward_fn= (a callable (inputs, prediction) -> float), got 1.0"),
    ({"threshold": None}, "needs threshold= (a number the reward must reach), got None"),
    ({"threshold": "high"}, "got 'high'"),
    ({"threshold": False}, "got False"),
    ({"fail_count": 1.5}, "fail_count= must be an integer"),
    ({"fail_count": "2"}, "fail_count= must be an integer"),
    ({"temperature": 0.5}, "unknown option(s) 'temperature'"),
    ({"lm": "openai/gpt-4o-mini"}, "lm must be dspex.LM('openai/gpt-4o-mini')"),
])
def test_bad_create_options_are_input_errors(module_type, options, message):
    with pytest.raises(InputError) as info:
        loop(module_type, **options)
    assert message in str(info.value)


def test_the_threshold_is_required():
    with pytest.raises(InputError, match="needs threshold="):
        dspex.create("best_of_n", predict(), N=2, reward_fn=rewards(), implementation="native")


def test_the_wrapped_module_must_be_a_module_ref():
    with pytest.raises(InputError, match="must be a ModuleRef from create"):
        best_of_n.create("question -> answer", N=2, reward_fn=rewards(), threshold=1.0)


def test_a_module_of_another_backend_is_a_capability_error():
    foreign = ModuleRef("other", "predict", object(), "default")
    with pytest.raises(CapabilityError, match="cannot wrap a 'predict' module of backend 'other'"):
        best_of_n.create(foreign, N=2, reward_fn=rewards(), threshold=1.0)


def test_only_lm_modules_can_be_wrapped():
    metric = dspex.create("metrics", "exact_match", implementation="native")
    with pytest.raises(InputError, match="'metrics' is a metric module type"):
        best_of_n.create(metric, N=2, reward_fn=rewards(), threshold=1.0)


def test_the_loops_adapter_may_be_xml():
    lm = RecordingLM(["<answer>\nParis\n</answer>"])
    pred = loop(adapter="xml", lm=lm, N=1, reward_fn=rewards(1.0))(question="Capital of France?")
    assert pred.answer == "Paris" and "`<answer>`" in lm.calls[0].messages[-1]["content"]


@pytest.mark.parametrize("inputs, message", [
    ({}, "best_of_n: missing input field(s) 'question'; the inputs are question"),
    ({"Question": "q"}, "best_of_n: missing input field(s) 'question'; unknown input field(s) 'Question' "
                        "(did you mean 'question'?); the inputs are question"),
])
def test_inputs_are_checked_against_the_wrapped_module_before_any_call(inputs, message):
    lm = RecordingLM(answers("a"))
    with pytest.raises(InputError) as info:
        loop()(lm=lm, **inputs)
    assert str(info.value) == message and lm.calls == []


def test_an_extra_input_is_ignored_with_a_warning():
    lm = RecordingLM(answers("a"))
    with pytest.warns(dspex.InputWarning, match="best_of_n: input field\\(s\\) 'extra' not in the signature"):
        loop()(lm=lm, question="q", extra=1)
    assert lm.calls


def test_unknown_call_options_and_a_missing_lm_are_input_errors():
    ref = loop()
    with pytest.raises(InputError, match=r"unknown option\(s\) 'config' for 'best_of_n \(call\)'"):
        ref(question="q", lm=RecordingLM(answers("a")), config={"n": 2})
    with dspex.context(lm=None), pytest.raises(InputError, match="no LM for this best_of_n call"):
        ref(question="q")


def test_a_non_integer_rollout_id_on_the_lm_is_an_input_error():
    lm = dspex.LM("openai/x", api_base="http://127.0.0.1:9", rollout_id="first")
    with pytest.raises(InputError, match="rollout_id must be an integer"):
        loop()(question="q", lm=lm)


# -- attempts ------------------------------------------------------------------------------------------

def test_each_attempt_runs_at_temperature_one_with_the_next_rollout_id():
    lm = RecordingLM(answers("a", "b", "c"))
    pred = loop(N=3, reward_fn=rewards(0.1, 0.7, 0.3))(question="q", lm=lm)
    assert pred.answer == "b"  # the best, as none reaches the threshold
    assert [c.settings for c in lm.calls] == [{"rollout_id": i, "temperature": 1.0} for i in range(3)]


def test_the_first_attempt_reaching_the_threshold_wins():
    lm = RecordingLM(answers("a", "b", "c"))
    reward = rewards(0.1, 1.0, 5.0)
    pred = loop(N=3, reward_fn=reward)(question="q", lm=lm)
    assert pred.answer == "b" and len(lm.calls) == 2
    assert reward.seen[0][0] == {"question": "q"} and reward.seen[1][1].answer == "b"


def test_the_modules_own_settings_win_over_the_attempt_copy():
    lm = RecordingLM(answers("a", "b"))
    loop(N=2, inner=predict(temperature=0.2, rollout_id=7, max_tokens=5))(question="q", lm=lm)
    assert [c.settings for c in lm.calls] == [{"rollout_id": 7, "temperature": 0.2, "max_tokens": 5}] * 2


def test_n_above_one_keeps_the_copys_temperature():
    # DSPy's n/temperature rule reads the LM's defaults: the copy's temperature=1.0 is above 0.15
    lm = RecordingLM(answers("a", "b"))
    loop(N=1, inner=predict(n=2))(question="q", lm=lm)
    assert lm.calls[0].settings == {"n": 2, "rollout_id": 0, "temperature": 1.0}


def test_nan_rewards_are_never_the_best():
    pred = loop(N=2, reward_fn=rewards(math.nan, math.nan))(question="q", lm=RecordingLM(answers("a", "b")))
    assert pred is None


@pytest.mark.parametrize("N, fail_count, attempts, raises", [
    (3, None, 3, True),    # fail_count = N = 3: idx 0, 1 pass (0 > 3, 1 > 2 are false), idx 2 > 1 raises
    (2, None, 2, False),   # idx 0 > 2, idx 1 > 1 are false: every attempt failed, the result is None
    (1, None, 1, False),
    (4, 1, 2, True),       # idx 0 > 1 false (fail_count 0), idx 1 > 0 raises
    (4, -1, 1, True),      # idx 0 > -1 raises at once
    (2, 0, 2, False),      # 0 means N, as in DSPy (fail_count or N)
    (5, 5, 4, True),       # 0>5, 1>4, 2>3 false, 3>2 raises
])
def test_a_failing_reward_follows_dspys_fail_count_rule(capsys, N, fail_count, attempts, raises):  # noqa: N803
    ref = loop(N=N, fail_count=fail_count, reward_fn=rewards(*["raise"] * N))
    lm = RecordingLM(answers(*"abcde"))
    if raises:
        with pytest.raises(ValueError, match=f"reward failed on call {attempts}"):
            ref(question="q", lm=lm)
    else:
        assert ref(question="q", lm=lm) is None
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"BestOfN: Attempt {i + 1} failed with rollout id {i}: reward failed on call {i + 1}"
                       for i in range(attempts)]
    assert len(lm.calls) == attempts


def test_the_fail_count_allowance_is_spent_across_calls(capsys):
    ref = loop(N=2, reward_fn=rewards(*["raise"] * 4))
    lm = RecordingLM(answers(*"abcd"))
    assert ref(question="q", lm=lm) is None  # fail_count 2 -> 0
    with pytest.raises(ValueError, match="call 4"):  # idx 0 > 0 false (-> -1), idx 1 > -1 raises
        ref(question="q", lm=lm)
    assert ref.state.fail_count == -1
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_an_unparseable_reply_is_a_failed_attempt(capsys):
    lm = RecordingLM(["no markers", "not json", *answers("ok")])
    pred = loop(N=2, reward_fn=rewards(1.0))(question="q", lm=lm)
    assert pred.answer == "ok" and len(lm.calls) == 3
    assert capsys.readouterr().out.startswith("BestOfN: Attempt 1 failed with rollout id 0: ")


def test_the_last_error_is_raised_as_it_is():
    lm = RecordingLM(["no markers"] * 6)
    with pytest.raises(AdapterParseError):
        loop(N=3)(question="q", lm=lm)


def test_refine_prints_dspys_message(capsys):
    ref = loop("refine", N=2, reward_fn=rewards("raise", "raise"))
    assert ref(question="q", lm=RecordingLM(answers("a", "b"))) is None
    assert capsys.readouterr().out.splitlines() == [
        "Refine: Attempt failed with rollout id 0: reward failed on call 1",
        "Refine: Attempt failed with rollout id 1: reward failed on call 2"]


def test_printed_failures_never_show_the_api_key(capsys):
    from dspex_core.testing.server import LocalLMServer

    key = "my-very-secret-key-value"

    def reward(args, pred):
        raise ValueError(f"the judge was called with {key}")

    with LocalLMServer(ANSWER.format("a")) as server:
        lm = dspex.LM("openai/local", api_base=server.url, api_key=key, cache=False, num_retries=0)
        assert loop(N=2, reward_fn=reward)(question="q", lm=lm) is None
    out = capsys.readouterr().out
    assert key not in out and out.count("the judge was called with <hidden>") == 2


def test_a_dspex_lm_is_copied_with_the_attempt_settings_and_its_own_rollout_id_is_the_start():
    from dspex_core.testing.server import LocalLMServer

    with LocalLMServer(ANSWER.format("a")) as server:
        lm = dspex.LM("openai/local", api_base=server.url, temperature=0.3, rollout_id=5, num_retries=0)
        loop(N=3, reward_fn=rewards(0, 0, 0))(question="q", lm=lm)
        bodies = [r["body"] for r in server.chat_requests]
        # the same prompt three times, not served from the cache: rollout ids 5, 6, 7 (never sent)
        assert len(bodies) == 3 and all(b["temperature"] == 1.0 and "rollout_id" not in b for b in bodies)
        loop(N=3, reward_fn=rewards(0, 0, 0))(question="q", lm=lm)
        assert len(server.chat_requests) == 3  # the same rollout ids again: cached


def test_a_custom_lms_copy_passes_the_defaults_under_the_call_settings():
    from dspex_native.lm.defaults import LMWithDefaults, default_settings, with_defaults

    lm = RecordingLM(["x"])
    copied = with_defaults(lm, rollout_id=3, temperature=1.0)
    assert isinstance(copied, LMWithDefaults) and copied.model == lm.model
    copied([{"role": "user", "content": "hi"}], temperature=0.5, n=1)
    assert lm.calls[0].settings == {"rollout_id": 3, "temperature": 0.5, "n": 1}
    again = with_defaults(copied, rollout_id=None, max_tokens=9)
    assert default_settings(again) == {"temperature": 1.0, "max_tokens": 9} and again.lm is lm
    assert default_settings(lm) == {}
    dspex_lm = dspex.LM("openai/x", temperature=0.0, api_key="k")
    assert with_defaults(dspex_lm, rollout_id=1).settings == {"temperature": 0.0, "rollout_id": 1}
    assert with_defaults(dspex_lm, rollout_id=1).secret("api_key") == "k"


# -- refine's advice and hints -----------------------------------------------------------------------

def test_refine_asks_for_advice_and_hints_the_next_attempt():
    lm = RecordingLM([*answers("too long"), ADVICE.format(name="self"), *answers("short")])
    reward = rewards(0.2, 1.0)
    demo = {"question": "q0", "answer": "a0"}
    pred = loop("refine", inner=predict(demos=[demo]), N=3, reward_fn=reward)(question="Why?", lm=lm)
    assert pred.answer == "short" and len(lm.calls) == 3
    advice, hinted = lm.calls[1], lm.calls[2]
    assert advice.settings == {}  # the loop's own LM, not an attempt's copy
    user = advice.messages[-1]["content"]
    assert "[[ ## program_code ## ]]\nclass PredictImplementation(Implementation):" in user
    assert ("[[ ## modules_defn ## ]]\n" + "-" * 80 + "\nModule self\n\tInput Fields:\n\t\t1. `question` (str):\n"
            "\tOutput Fields:\n\t\t1. `answer` (str):\n\tOriginal Instructions: \n\t\tGiven the fields `question`, "
            "produce the fields `answer`.\n" + "-" * 80 + "\n\n") in user
    assert '[[ ## program_inputs ## ]]\n{\n  "question": "Why?"\n}\n\n' in user
    assert ('[[ ## program_trajectory ## ]]\n[\n  {\n    "module_name": "self",\n    "inputs": {\n      "question": '
            '"Why?"\n    },\n    "outputs": {\n      "answer": "too long"\n    }\n  }\n]\n\n') in user
    assert "[[ ## reward_code ## ]]\n    def reward(args, pred):\n" in user
    assert "[[ ## target_threshold ## ]]\n1.0\n\n[[ ## reward_value ## ]]\n0.2\n\n" in user
    assert '[[ ## module_names ## ]]\n[\n  "self"\n]\n\n' in user
    system = hinted.messages[0]["content"]
    assert "2. `hint_` (str): A hint to the module from an earlier run" in system
    assert system.endswith("Given the fields `question`, produce the fields `answer`.")  # instructions kept
    assert hinted.messages[1]["content"].startswith("This is an example of the task, though some input")
    assert hinted.messages[-1]["content"].startswith(
        "[[ ## question ## ]]\nWhy?\n\n[[ ## hint_ ## ]]\nAnswer with one word.")
    assert hinted.settings == {"rollout_id": 1, "temperature": 1.0}


def test_refine_hints_not_applied_outside_the_attempts():
    lm = RecordingLM([*answers("x"), ADVICE.format(name="self"), *answers("y", "z")])
    loop("refine", N=2, reward_fn=rewards(0.0, 0.0))(question="q", lm=lm)
    plain = predict()(question="q", lm=lm)
    assert plain.answer == "z" and "hint_" not in lm.calls[-1].messages[0]["content"]


def test_a_predictor_the_advice_does_not_name_gets_n_a():
    cot = dspex.create("chain_of_thought", "question -> answer", implementation="native")
    reasoned = ANSWER.replace("[[ ## answer", "[[ ## reasoning ## ]]\nr\n\n[[ ## answer")
    lm = RecordingLM([reasoned.format("x"), ADVICE.format(name="other"), reasoned.format("y")])
    loop("retry", inner=cot, N=2, reward_fn=rewards(0.0, 0.0))(question="q", lm=lm)
    assert '[[ ## module_names ## ]]\n[\n  "predict"\n]' in lm.calls[1].messages[-1]["content"]
    assert "[[ ## hint_ ## ]]\nN/A\n\n" in lm.calls[2].messages[-1]["content"]


def test_unparseable_advice_is_a_failed_attempt_and_the_next_runs_without_hint(capsys):
    lm = RecordingLM([*answers("x"), "no advice", "still none", *answers("y")])
    pred = loop("refine", N=2, reward_fn=rewards(0.0, 0.5))(question="q", lm=lm)
    assert pred.answer == "y" and "hint_" not in lm.calls[3].messages[0]["content"]
    assert capsys.readouterr().out.startswith("Refine: Attempt failed with rollout id 0: ")


def test_a_callable_objects_reward_code_is_its_class_source():
    class Judge:
        def __call__(self, args, pred):
            return 0.0

    lm = RecordingLM([*answers("x"), ADVICE.format(name="self"), *answers("y")])
    loop("refine", N=2, reward_fn=Judge())(question="q", lm=lm)
    assert "[[ ## reward_code ## ]]\n    class Judge:\n        def __call__(self, args, pred):" in \
        lm.calls[1].messages[-1]["content"]


def test_a_reward_without_source_is_named_in_the_advice_request():
    namespace: dict = {}
    exec("def judge(args, pred):\n    return 0.0", namespace)  # noqa: S102 - a function without source
    lm = RecordingLM([*answers("x"), ADVICE.format(name="self"), *answers("y")])
    loop("refine", N=2, reward_fn=namespace["judge"])(question="q", lm=lm)
    assert "[[ ## reward_code ## ]]\n# the source code of the reward function judge is not available\n\n" in \
        lm.calls[1].messages[-1]["content"]


def test_refine_cannot_wrap_a_module_that_does_not_list_its_predictors():
    class Opaque:
        def create(self, spec, **options):
            return "state"

        def execute(self, state, inputs, **options):
            return dspex.Prediction(answer="x")

    ref = ModuleRef("native", "react", "state", "default", implementation=Opaque())
    with pytest.raises(CapabilityError, match="does not list its predictors"):
        refine.create(ref, N=2, reward_fn=rewards(), threshold=1.0)
    state = best_of_n.create(ref, N=2, reward_fn=rewards(1.0), threshold=1.0)  # BestOfN needs no names
    assert best_of_n.execute(state, {"question": "q"}, lm=RecordingLM([])).answer == "x"


# -- nesting --------------------------------------------------------------------------------------------

def test_a_loop_around_a_loop_spends_the_inner_allowance_on_a_copy(capsys):
    inner = loop("best_of_n", N=2, reward_fn=rewards(*["raise"] * 8))
    outer = dspex.create("best_of_n", inner, N=2, reward_fn=rewards(0.0, 0.0), threshold=1.0,
                         implementation="native")
    lm = RecordingLM(answers(*"abcd"))
    assert outer(question="q", lm=lm) is None
    assert inner.state.fail_count == 2  # DSPy's outer loop runs a deep copy of the inner one
    rollouts = [c.settings["rollout_id"] for c in lm.calls]
    assert rollouts == [0, 1, 1, 2]  # the inner loop starts at the outer attempt's rollout id
    assert dict(outer.implementation.dump_state(outer.state)) == {
        "module.module": predict().implementation.dump_state(predict().state)}
    assert [n for n, _ in outer.implementation.named_predictors(outer.state)] == ["module.module"]
    capsys.readouterr()


def test_refine_around_a_loop_cannot_name_the_copied_predictors(capsys):
    # DSPy: the trace an inner loop passes on holds its deep copy's predictors, which the outer
    # Refine's name look-up does not know: the advice step fails (KeyError), as in DSPy.
    inner = loop("best_of_n", N=1, reward_fn=rewards(0.0, 0.0))
    outer = dspex.create("refine", inner, N=2, reward_fn=rewards(0.0, 0.0), threshold=1.0, implementation="native")
    lm = RecordingLM(answers("a", "b"))
    assert outer(question="q", lm=lm).answer == "a"
    assert capsys.readouterr().out.startswith("Refine: Attempt failed with rollout id 0: Predict(question -> answer)")
    assert len(lm.calls) == 2


# -- async, describe, saved state ---------------------------------------------------------------------

@pytest.mark.parametrize("module_type", ["best_of_n", "refine", "retry"])
def test_async_sends_what_sync_sends(module_type):
    script = [*answers("x"), ADVICE.format(name="self"), *answers("y"), ADVICE.format(name="self"), *answers("z")]
    sync_lm, async_lm = RecordingLM(list(script)), RecordingLM(list(script))
    sync = loop(module_type, N=3, reward_fn=rewards(0.1, 0.2, 0.3))(question="q", lm=sync_lm)
    ref = loop(module_type, N=3, reward_fn=rewards(0.1, 0.2, 0.3))
    asynced = asyncio.run(ref.acall(question="q", lm=async_lm))
    assert sync == asynced and sync_lm.calls == async_lm.calls


def test_describe_names_the_wrapped_module_and_its_fields():
    described = loop("refine", N=4, threshold=0.5).describe()
    assert described["module_type"] == "refine" and described["backend"] == "native"
    assert described["inputs"] == ["question"] and described["outputs"] == ["answer"]
    assert described["wrapped"]["module_type"] == "predict"
    assert (described["N"], described["threshold"], described["fail_count"]) == (4, 0.5, 4)


def test_dump_save_and_load_state_keep_the_wrapped_module_under_module(tmp_path):
    inner = dspex.create("chain_of_thought", "question -> answer", implementation="native",
                         demos=[{"question": "q0", "reasoning": "r0", "answer": "a0"}])
    ref = loop("refine", inner=inner)
    dumped = ref.implementation.dump_state(ref.state)
    assert list(dumped) == ["module.predict"] and dumped["module.predict"]["demos"][0]["answer"] == "a0"
    path = tmp_path / "refine.json"
    ref.save(path)
    written = json.loads(path.read_text())
    assert written["module.predict"] == dumped["module.predict"]
    assert written["metadata"]["dependency_versions"]["dspy"]
    changed = json.loads(json.dumps(dumped))
    changed["module.predict"]["signature"]["instructions"] = "Be brief."
    loaded = refine.load_state(inner, changed, N=2, reward_fn=rewards(1.0), threshold=1.0)
    lm = RecordingLM([ANSWER.replace("[[ ## answer", "[[ ## reasoning ## ]]\nr\n\n[[ ## answer").format("x")])
    refine.execute(loaded, {"question": "q"}, lm=lm)
    assert lm.calls[0].messages[0]["content"].endswith("Be brief.")
    plain = predict()
    assert best_of_n.load_state(plain, {"module": plain.implementation.dump_state(plain.state)}, N=1,
                                reward_fn=rewards(), threshold=1.0).N == 1
    with pytest.raises(InputError, match="keeps its wrapped module under 'module'"):
        best_of_n.load_state(plain, {"predict": {}}, N=1, reward_fn=rewards(), threshold=1.0)


def test_retry_is_refine_under_its_own_name():
    assert retry.refines and retry.module_type == "retry"
    lm = RecordingLM([*answers("x"), ADVICE.format(name="self"), *answers("y")])
    loop("retry", N=2, reward_fn=rewards(0.0, 0.0))(question="q", lm=lm)
    assert "`program_code`" in lm.calls[1].messages[0]["content"]


def test_a_refine_called_by_a_reward_function_asks_its_own_lm_for_advice():
    # Only the module a loop runs is "inside" it (DSPy: an inner loop asks dspy.settings.lm, the
    # outer call's LM); a loop the reward function calls is a call of its own.
    judge_lm = RecordingLM([*answers("1"), ADVICE.format(name="self"), *answers("2")])
    judge = loop("refine", N=2, reward_fn=rewards(0.0, 0.0))

    def reward(args, pred):
        return float(judge(question=pred.answer, lm=judge_lm).answer)

    lm = RecordingLM(answers("a"))
    assert loop(N=1, reward_fn=reward)(question="q", lm=lm).answer == "a"
    assert len(lm.calls) == 1 and len(judge_lm.calls) == 3
    assert judge_lm.calls[1].settings == {} and "`program_code`" in judge_lm.calls[1].messages[0]["content"]
