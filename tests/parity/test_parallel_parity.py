"""``parallel`` on the native and the dspy backend (``dspy.Parallel``): same requests, same results,
same failures, same errors.

Both backends call one :class:`~dspex_core.testing.RecordingLM` that answers by content (the
question names the example and how the LM treats it), so the order in which threads reach the
LM does not matter: the multiset of requests (messages byte for byte, settings) must be equal,
and the results equal in input order. Native ``parallel`` over a native module is compared with
dspy's ``Parallel`` over the dspy module, and with the dspy backend's ``Parallel`` over the
native module rebuilt as dspy's.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import EvaluationError, Example, InputError
from dspex_core.testing import RecordingLM

from _dspy_oracle import typed
from _strategies_local import TEXT

logging.getLogger("dspy.utils.parallelizer").setLevel(logging.CRITICAL)  # every failure is logged
logging.getLogger("dspex_native.parallel").setLevel(logging.CRITICAL)

SIGNATURES = ["question -> answer", "question -> answer: int", "question, context -> answer, confidence: float"]
KINDS = ("ok", "ok", "bad", "retry")
_MARK = re.compile(r"\bq(\d+):(ok|bad|retry)\b")


def reply(messages, settings):
    """The LM: ``q<i>:ok`` is answered, ``q<i>:bad`` never parses (chat, then JSON: two calls),
    ``q<i>:retry`` parses only when asked again in JSON."""
    system, user = messages[0]["content"], messages[-1]["content"]
    index, kind = _MARK.search(user).groups()
    json_mode = "Outputs will be a JSON object" in system
    if kind == "bad" or (kind == "retry" and not json_mode):
        return f"no fields for q{index}"
    values = {"answer": int(index) if "`answer` (int)" in system else f"A{index}", "confidence": 0.5}
    if "`reasoning`" in system:
        values = {"reasoning": f"thinking about {index}", **values}
    if "`confidence`" not in system:
        values.pop("confidence")
    if json_mode:
        import json

        return json.dumps(values)
    return "\n\n".join([f"[[ ## {k} ## ]]\n{v}" for k, v in values.items()] + ["[[ ## completed ## ]]"])


@st.composite
def cases(draw, max_examples: int = 8):
    signature = draw(st.sampled_from(SIGNATURES))
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    access = draw(st.booleans())
    examples = []
    for index in range(draw(st.integers(0, max_examples))):
        fields = {"question": f"q{index}:{draw(st.sampled_from(KINDS))}"}
        if "context" in signature:
            fields["context"] = draw(TEXT)
        form = draw(st.sampled_from(["dict", "example", "labelled"] if access else ["dict", "example", "unmarked"]))
        if form == "dict":
            examples.append(fields)
        elif form == "example":
            examples.append(Example(fields).with_inputs(*fields))
        elif form == "labelled":
            examples.append(Example(fields, answer="gold").with_inputs(*fields))
        else:
            examples.append(Example(fields))
    options = {"num_threads": draw(st.sampled_from([1, 1, 2, 4])), "access_examples": access,
               "max_errors": draw(st.sampled_from([None, 0, 1, 2, 3, 100])),
               "return_failed_examples": draw(st.booleans())}
    return dict(signature=signature, module=module, examples=examples, options=options)


def _fields(prediction):
    return None if prediction is None else typed({k: prediction[k] for k in prediction.keys()})


def _error(error):
    return (type(error).__name__, getattr(error, "raw", None))


def run(case, parallel_backend, wrapped_backend, *, is_async=False):
    """(outcome, sorted requests) of one backend's parallel run."""
    lm = RecordingLM(reply)
    wrapped = dspex.create(case["module"], case["signature"], implementation=wrapped_backend)
    ref = dspex.Parallel.create(wrapped, implementation=parallel_backend, **case["options"])
    try:
        if is_async:
            out = asyncio.run(dspex.aexecute(ref, {"examples": case["examples"]}, lm=lm))
        else:
            out = ref(examples=case["examples"], lm=lm)
    except EvaluationError as exc:
        stopped = ("stopped", isinstance(exc, InputError))
        if case["options"]["num_threads"] == 1:  # which calls ran before the stop is deterministic
            stopped += ([(index, _error(error)) for index, error in exc.errors],)
            return stopped, sorted(repr((call.messages, call.settings)) for call in lm.calls)
        return stopped, None
    outcome = ("ok", [_fields(p) for p in out.results])
    if case["options"]["return_failed_examples"]:
        outcome += ([id(e) for e in out.failed_examples], [_error(e) for e in out.exceptions])
    else:
        assert list(out.keys()) == ["results"]
    return outcome, sorted(repr((call.messages, call.settings)) for call in lm.calls)


def _failures_expected(case):
    return sum(1 for e in case["examples"] if e["question"].endswith(":bad"))


@settings(deadline=None)
@given(cases())
def test_native_parallel_runs_as_dspy_parallel(case):
    native = run(case, "native", "native")
    event(f"{native[0][0]}, {case['options']['num_threads']} thread(s)")
    assert native == run(case, "dspy", "dspy")
    assert native == run(case, "dspy", "native")  # the native module rebuilt as dspy's
    limit, failures = case["options"]["max_errors"], _failures_expected(case)
    assert (native[0][0] == "stopped") == (failures > 0 and failures >= (10 if limit is None else limit))


@settings(deadline=None, max_examples=25)
@given(cases(max_examples=5))
def test_async_native_parallel_runs_as_dspy_parallel(case):
    assert run(case, "native", "native", is_async=True) == run(case, "dspy", "dspy", is_async=True)


def test_max_errors_is_the_same_evaluation_error_on_both():
    case = dict(signature="question -> answer", module="predict",
                examples=[{"question": "q0:bad"}, {"question": "q1:ok"}, {"question": "q2:bad"}, {"question": "q3:ok"}],
                options={"num_threads": 1, "max_errors": 2, "return_failed_examples": False, "access_examples": True})
    messages = []
    for backend in ("native", "dspy"):
        wrapped = dspex.Predict.create("question -> answer", implementation=backend)
        with pytest.raises(EvaluationError) as info:
            dspex.Parallel.create(wrapped, implementation=backend, num_threads=1, max_errors=2)(
                examples=case["examples"], lm=RecordingLM(reply))
        assert [(i, type(e).__name__, e.raw) for i, e in info.value.errors] == \
            [(0, "AdapterParseError", "no fields for q0"), (2, "AdapterParseError", "no fields for q2")]
        messages.append(str(info.value).split(": AdapterParseError: ")[0])
    assert messages[0] == messages[1] == "parallel stopped: 2 of 4 examples failed (max_errors=2); first failure, " \
                                         "examples[0]"


def test_native_parallel_over_a_dspy_module_is_dspy_parallel_over_it():
    examples = [{"question": f"q{i}:{kind}"} for i, kind in enumerate(["ok", "bad", "retry", "ok"])]
    dspy_predict = dspex.Predict.create("question -> answer", implementation="dspy")
    outcomes = []
    for backend in ("native", "dspy"):
        lm = RecordingLM(reply)
        ref = dspex.Parallel.create(dspy_predict, implementation=backend, num_threads=3, return_failed_examples=True)
        with dspex.context(lm=lm):
            out = ref(examples=examples)
        outcomes.append(([_fields(p) for p in out.results], out.failed_examples, [_error(e) for e in out.exceptions],
                         sorted(repr((c.messages, c.settings)) for c in lm.calls)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] == [examples[1]]


def test_a_nested_parallel_runs_alike():
    batches = [{"examples": [{"question": "q0:ok"}, {"question": "q1:retry"}]}, {"examples": [{"question": "q2:ok"}]}]
    outcomes = []
    for backend in ("native", "dspy"):
        lm = RecordingLM(reply)
        inner = dspex.Parallel.create(dspex.Predict.create("question -> answer", implementation=backend),
                                      implementation=backend, num_threads=2)
        out = dspex.Parallel.create(inner, implementation=backend, num_threads=2)(examples=batches, lm=lm)
        outcomes.append(([[_fields(p) for p in batch.results] for batch in out.results],
                         sorted(repr((c.messages, c.settings)) for c in lm.calls)))
    assert outcomes[0] == outcomes[1] and len(outcomes[0][1]) == 4


class SlowFirstCall:
    """A custom LM: the first request for the example marked 'slow' takes ``delay`` seconds
    (outside the recording LM's lock, so other calls go on meanwhile)."""

    model = "recording-lm"

    def __init__(self, delay: float):
        self.inner = RecordingLM(reply)
        self.delay = delay
        self.lock = threading.Lock()
        self.slow_calls = 0
        self.done = threading.Event()

    def __call__(self, messages, **settings):
        slow = False
        if "slow" in messages[-1]["content"]:
            with self.lock:
                self.slow_calls += 1
                slow = self.slow_calls == 1
        if slow:
            time.sleep(self.delay)
        try:
            return self.inner(messages, **settings)
        finally:
            if slow:
                self.done.set()


def test_both_start_a_straggler_again_and_send_the_same_requests():
    examples = [{"question": "q0:ok"}, {"question": "q1:ok slow"}]
    outcomes = []
    for backend in ("native", "dspy"):
        lm = SlowFirstCall(delay=3)
        ref = dspex.Parallel.create(dspex.Predict.create("question -> answer", implementation=backend),
                                    implementation=backend, num_threads=2, timeout=1)
        start = time.monotonic()
        out = ref(examples=examples, lm=lm)
        assert time.monotonic() - start < 2.9  # the second start answered before the first
        assert lm.done.wait(10)  # let the slow first call finish and be recorded
        outcomes.append(([_fields(p) for p in out.results],
                         sorted(repr((c.messages, c.settings)) for c in lm.inner.calls)))
    assert outcomes[0] == outcomes[1] and len(outcomes[0][1]) == 3


BAD_OPTIONS = [{"nope": 1}, {"num_threads": 0}, {"num_threads": 2.0}, {"max_errors": -1}, {"max_errors": True},
               {"access_examples": 1}, {"return_failed_examples": "no"}, {"provide_traceback": "yes"},
               {"disable_progress_bar": None}, {"timeout": None}, {"straggler_limit": -1}, {"lm": "x/y"}]
BAD_INPUTS = [{}, {"examples": None}, {"examples": "q0:ok"}, {"examples": [("q0:ok",)]},
              {"examples": [Example(question="q0:ok")]}, {"examples": [{1: "q0:ok"}]},
              {"examples": [], "extra": 1}, {"examples": [{"question": "q0:ok"}], "num_threads": -1}]


@pytest.mark.parametrize("options", BAD_OPTIONS, ids=repr)
def test_bad_options_are_the_same_input_error(options):
    messages = []
    for backend in ("native", "dspy"):
        wrapped = dspex.Predict.create("question -> answer", implementation=backend)
        with pytest.raises(InputError) as info:
            dspex.Parallel.create(wrapped, implementation=backend, **options)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("inputs", BAD_INPUTS, ids=repr)
def test_bad_examples_are_the_same_input_error_before_any_lm_call(inputs):
    messages = []
    for backend in ("native", "dspy"):
        lm = RecordingLM(reply)
        ref = dspex.Parallel.create(dspex.Predict.create("question -> answer", implementation=backend),
                                    implementation=backend)
        with pytest.raises(InputError) as info:
            dspex.execute(ref, inputs, lm=lm)
        assert lm.calls == []
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_describe_and_state_agree():
    described, errors = [], []
    for backend in ("native", "dspy"):
        ref = dspex.Parallel.create(dspex.Predict.create("question -> answer", implementation=backend),
                                    implementation=backend, num_threads=3, max_errors=4)
        found = ref.describe()
        described.append({k: v for k, v in found.items() if k not in ("backend", "module", "module_id")})
        with pytest.raises(dspex.CapabilityError) as info:
            ref.implementation.dump_state(ref.state)
        errors.append(str(info.value))
    assert described[0] == described[1] and errors[0] == errors[1]
