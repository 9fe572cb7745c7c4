"""Native ``program_of_thought`` (its own sandbox) against the dspy backend (``dspy.ProgramOfThought``
with DSPy's sandbox): identical requests, equal predictions, the same failures.

Both call one scripted LM per run (a :class:`~dspex_core.testing.RecordingLM` each, fed the
same script): every request's messages byte for byte and its settings, the number and order
of requests, the prediction (values and types) or the error (class, and the message for input
errors such as "Max hops reached") must be equal. The script answers by step: a code step
(``generated_code``) gets the next drawn code reply, the answer step the next drawn answer,
and a JSON-format retry (after an unparseable chat reply) the JSON version.

A run that executes code starts a sandbox on each side (DSPy starts a fresh one per call,
about two seconds; native takes a ready one). The examples of the whole-run property therefore
share one long session per side (:class:`SharedSession`, given as ``interpreter=``, as a
caller may; both sessions run the same code in the same order, so their state stays in step)
and use fewer examples (:data:`SANDBOX_EXAMPLES`) than the pure properties (code extraction,
signatures and saved states); the scenarios below it run each call in its own default
sandbox, as users do.
"""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import typed
from _strategies_local import chat_replies, demos_for, inputs_for, json_replies, signatures
from dspex_core import Signature
from dspex_core.errors import AdapterParseError, InputError
from dspex_core.testing import RecordingLM
from dspex_native.code_generation.extract import parse_code
from dspex_native.code_generation.signatures import RESERVED_INPUTS, step_signature
from dspex_native.modules.program_of_thought import implementation as native
from dspex_native.sandbox.results import SandboxError

dspy = pytest.importorskip("dspy")
from dspex_dspy.modules.program_of_thought import implementation as via_dspy  # noqa: E402
from dspex_dspy.sandbox import SandboxedInterpreter  # noqa: E402
from dspy.primitives.code_interpreter import CodeExecutionError, CodeInterpreterError  # noqa: E402
from dspex_native.sandbox.interpreter import PyodideInterpreter  # noqa: E402

warnings.filterwarnings("ignore", module="dspy")

#: Examples for the property that runs code in both sandboxes (half the profile's).
SANDBOX_EXAMPLES = max(10, settings.default.max_examples // 2)


def chat(**fields) -> str:
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


class Script:
    """Replies by step: code replies for ``generate``/``regenerate``, answers for the last step;
    the JSON retry of a step gets that step's JSON reply."""

    def __init__(self, code=(), answer=(), code_json=(), answer_json=()):
        self.queues = {"code": list(code), "answer": list(answer), "code_json": list(code_json),
                       "answer_json": list(answer_json)}

    def lm(self) -> RecordingLM:
        queues = {key: list(value) for key, value in self.queues.items()}

        def reply(messages, settings):
            step = "answer" if "`code_output`" in messages[0]["content"] else "code"
            if "Outputs will be a JSON object" in messages[0]["content"]:
                step += "_json"
            if not queues[step]:
                raise AssertionError(f"no scripted {step} reply left")
            return queues[step].pop(0)

        return RecordingLM(reply)


def outcome(call):
    """("ok", typed fields), or the failure: input errors of the module itself (bad inputs,
    "Max hops reached") with their message, which both backends word alike."""
    try:
        prediction = call()
    except InputError as exc:
        return ("input_error", str(exc)) if str(exc).startswith("program_of_thought: ") else ("input_error",)
    except TypeError:  # a list of non-strings given to a str field: dspy's TypeError, native's InputError
        return ("input_error",)
    except AdapterParseError:
        return ("parse_error",)
    except (SandboxError, CodeInterpreterError):
        return ("sandbox_error",)
    return ("ok", typed(dict(prediction)))


def run(implementation, sig, inputs, script: Script, *, is_async=False, call_options=None, **options):
    """Create the module with ``implementation`` and run it once; ``(outcome, lm.calls)``."""
    lm = script.lm()
    state = implementation.create(sig, lm=lm, **options)
    if is_async:
        result = outcome(lambda: asyncio.run(implementation.aexecute(state, dict(inputs), **(call_options or {}))))
    else:
        result = outcome(lambda: implementation.execute(state, dict(inputs), **(call_options or {})))
    return result, lm.calls


def assert_same(mine, theirs):
    (my_outcome, my_calls), (their_outcome, their_calls) = mine, theirs
    assert len(my_calls) == len(their_calls), (my_outcome, their_outcome)
    for index, (a, b) in enumerate(zip(my_calls, their_calls)):
        assert a.messages == b.messages, f"request {index + 1}"
        assert a.settings == b.settings, f"request {index + 1}"
    assert my_outcome == their_outcome


def both(sig, inputs, script, *, native_async=False, **options):
    """Native (sync or async) and the dspy backend (DSPy's ProgramOfThought has no async)."""
    mine = run(native, sig, inputs, script, is_async=native_async, **options)
    assert_same(mine, run(via_dspy, sig, inputs, script, **options))
    return mine


# -- code extraction, signatures and saved states: no sandbox ----------------------------------

CODE_TEXT = st.lists(st.one_of(
    st.sampled_from(["```python", "```python ", "```", "``", "---", "\n", "\n\n\n", " ", "=", "x = 1", "y=2",
                     "print(x)", "a == b", "SUBMIT({'a': 1})", "é = 3", "_v1 =", "# c", "\t", "`"]),
    st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=max(200, settings.default.max_examples * 5), deadline=None)
@given(CODE_TEXT)
def test_code_extraction_is_dspys(text):
    """The code (and the error) taken from a reply is exactly DSPy's ``_parse_code``."""
    theirs = dspy.ProgramOfThought._parse_code(None, {"generated_code": text})
    assert parse_code({"generated_code": text}) == theirs


def pot_signatures():
    return signatures(exclude=RESERVED_INPUTS)


@settings(max_examples=max(30, settings.default.max_examples), deadline=None)
@given(pot_signatures(), st.data())
def test_steps_are_dspys_predictors(sig, data):
    """Each step's instructions, fields (prefixes, descriptions) and demos, as ``dump_state`` shows them."""
    demos = data.draw(demos_for(sig))
    mine = native.create(sig, demos=demos, interpreter=lambda: None)
    theirs = via_dspy.create(sig, demos=demos, interpreter=lambda: None)
    assert native.dump_state(mine) == via_dspy.dump_state(theirs)


# -- whole runs -----------------------------------------------------------------------------

SOLVED = ["print(6 * 7)", "x = 6 * 7", "result = sum(range(10))\nresult", "{'a': [1, 2.5, None]}", "'text'",
          "print('é 日本 🎉')", "import json\nprint(json.dumps({'k': [1, 2]}))", "None", "(1, 2)"]
FAILING = ["1/0", "raise ValueError('bad', 3)", "undefined_name", "import numpy as np\nnp.zeros(2)",
           "def f(:\n    pass", "previous = 5\n1/0", "[][0]"]
UNPARSEABLE = ["", "a = 1 = 2", "x = 1; y = 2"]
USES_STATE = ["print(previous)", "SUBMIT({'answer': previous})"]
BREAKS_SESSION = ["SUBMIT({1, 2})"]
FORMATS = ["{c}", "```python\n{c}\n```", "Here is the code:\n```python\n{c}\n```\nIt prints the answer.",
           "```python\n{c}\n``", "{c}\n---\nexplanation", "{c}\n\n\n\nmore text", "```\n{c}\n```",
           "```python\n{c}\n```\n```python\nprint('second')\n```"]


@st.composite
def code_bodies(draw, sig: Signature):
    # breaking the session is rare: both sides then start a new one, which takes seconds
    kind = draw(st.sampled_from(["submit", "solved", "failing", "unparseable", "state", "input"] * 4 + ["breaks"]))
    if kind == "submit":
        fields = ", ".join(f"{name!r}: {draw(st.sampled_from(['1', '2.5', repr('é'), '[1, 2]', 'None']))}"
                           for name in sig.output_fields)
        return f"SUBMIT({{{fields}}})"
    if kind == "input":  # the inputs are not variables in the sandbox (DSPy does not inject them)
        return f"print({next(iter(sig.input_fields))})"
    pool = {"solved": SOLVED, "failing": FAILING, "unparseable": UNPARSEABLE, "state": USES_STATE,
            "breaks": BREAKS_SESSION}[kind]
    return draw(st.sampled_from(pool))


@st.composite
def code_replies(draw, sig: Signature):
    reply = draw(st.sampled_from(FORMATS)).format(c=draw(code_bodies(sig)))
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["no markers here", f"[[ ## generated_code ## ]]\n{reply}"]))  # unparseable
    return chat(reasoning=draw(st.sampled_from(["Compute it.", "r", "Use Python.\nThen print."])),
                generated_code=reply)


@st.composite
def runs(draw):
    sig = draw(pot_signatures())
    max_iters = draw(st.integers(1, 3))
    answer = step_signature(sig, "answer")
    script = Script(
        code=[draw(code_replies(sig)) for _ in range(max_iters)],
        code_json=[json.dumps({"reasoning": "r", "generated_code": draw(st.sampled_from(SOLVED + FAILING))})
                   for _ in range(max_iters)],
        answer=[draw(chat_replies(answer))],
        answer_json=[draw(json_replies(answer))],
    )
    return dict(sig=sig, inputs=draw(inputs_for(sig, allow_missing=False)), script=script, max_iters=max_iters,
                native_async=draw(st.booleans()))


class SharedSession:
    """One sandbox session for many module calls (DSPy's ``CodeInterpreter`` protocol): the
    module's ``shutdown`` leaves it running; after the code broke it, the next call starts a
    new one (on both sides at the same point, since both run the same code)."""

    tools: dict = {}

    def __init__(self, make):
        self._make = make
        self._session = None

    def start(self):
        pass

    def execute(self, code, variables=None):
        if self._session is None:
            self._session = self._make()
        try:
            return self._session.execute(code)
        except (SandboxError, CodeInterpreterError) as exc:
            if not isinstance(exc, CodeExecutionError):
                self._session = None  # it ended itself
            raise

    def shutdown(self):
        pass

    def close(self):
        if self._session is not None:
            self._session.shutdown()
            self._session = None


@pytest.fixture(scope="module")
def shared_sessions():
    sessions = SharedSession(PyodideInterpreter), SharedSession(SandboxedInterpreter)
    yield sessions
    for session in sessions:
        session.close()


@settings(max_examples=SANDBOX_EXAMPLES, deadline=None)
@given(case=runs())
def test_native_runs_exactly_as_dspy(shared_sessions, case):
    """Hypothesis signatures and inputs, code that works, raises, cannot be parsed, uses an
    earlier attempt's variables or breaks the session, in the reply formats DSPy accepts and
    rejects, unparseable replies, max_iters from 1 to 3; native sync or async."""
    mine, theirs = shared_sessions
    options = dict(max_iters=case["max_iters"])
    result = run(native, case["sig"], case["inputs"], case["script"], is_async=case["native_async"],
                 interpreter=lambda: mine, **options)
    assert_same(result, run(via_dspy, case["sig"], case["inputs"], case["script"], interpreter=lambda: theirs,
                            **options))


QA = Signature("question -> answer")


def test_a_submitted_value_reaches_the_answer_step_as_dspy_shows_it():
    script = Script(code=[chat(reasoning="r", generated_code="```python\nresult = sum(range(10))\n"
                                                              "SUBMIT({'answer': result})\n```")],
                    answer=[chat(reasoning="It is 45.", answer="45")])
    (result, calls) = both(QA, {"question": "sum of 0..9?"}, script)
    assert result == ("ok", typed({"reasoning": "It is 45.", "answer": "45"}))
    assert '[[ ## code_output ## ]]\n{"output": {"answer": 45}}' in calls[-1].messages[-1]["content"]


def test_a_failed_attempt_is_shown_to_the_next_and_its_variables_remain():
    """DSPy keeps one interpreter per call: the retry sees what the failed attempt defined."""
    script = Script(code=[chat(reasoning="r", generated_code="partial = 41\nraise ValueError('not yet', 1)"),
                          chat(reasoning="r", generated_code="SUBMIT({'answer': partial + 1})")],
                    answer=[chat(reasoning="r", answer="42")])
    (result, calls) = both(QA, {"question": "q"}, script)
    assert result[0] == "ok" and len(calls) == 3
    retry = calls[1].messages[-1]["content"]
    assert "[[ ## error ## ]]\nValueError: ['not yet', 1]" in retry
    assert "[[ ## previous_code ## ]]\npartial = 41\nraise ValueError('not yet', 1)" in retry
    assert '{"output": {"answer": 42}}' in calls[2].messages[-1]["content"]


@pytest.mark.parametrize("max_iters", [1, 2, 3])
def test_max_iters_exhausted_is_the_same_input_error(max_iters):
    script = Script(code=[chat(reasoning="r", generated_code=code)
                          for code in ["1/0", "a = 1 = 2", "def f(:\n  pass"][:max_iters]])
    (result, calls) = both(QA, {"question": "q"}, script, max_iters=max_iters)
    assert result[0] == "input_error" and len(calls) == max_iters
    assert result[1].startswith("program_of_thought: Max hops reached. Failed to run ProgramOfThought: ")


def test_syntax_errors_read_as_dspy_words_them():
    script = Script(code=[chat(reasoning="r", generated_code="def f(:\n    pass"),
                          chat(reasoning="r", generated_code="print(1)")],
                    answer=[chat(reasoning="r", answer="1")])
    (result, calls) = both(QA, {"question": "q"}, script)
    assert "[[ ## error ## ]]\nInvalid Python syntax. message: " in calls[1].messages[-1]["content"]


def test_code_that_breaks_the_session_fails_the_call_on_both():
    script = Script(code=[chat(reasoning="r", generated_code="SUBMIT({1, 2})")])
    (result, calls) = both(QA, {"question": "q"}, script)
    assert result == ("sandbox_error",) and len(calls) == 1


def test_demos_go_to_every_step_and_config_is_not_passed_on():
    """DSPy's LabeledFewShot gives demos to all three predictors; ProgramOfThought's forward
    keeps only the inputs, so a call's config= changes no request on either backend."""
    demos = [{"question": "2+2?", "answer": "4"}, {"question": "3+3?", "generated_code": "print(6)"}]
    script = Script(code=[chat(reasoning="r", generated_code="print(2 + 2)")],
                    answer=[chat(reasoning="r", answer="4")])
    mine = both(QA, {"question": "q"}, script, demos=demos, call_options={"config": {"temperature": 0.9, "n": 2}})
    assert all(call.settings == {} for call in mine[1])
    assert "print(6)" in json.dumps([call.messages for call in mine[1]])


def test_a_dspy_interpreter_factory_runs_natively():
    """interpreter= takes any factory of DSPy-protocol interpreters, DSPy's own included."""
    from dspex_dspy.sandbox import sandbox_factory

    script = Script(code=[chat(reasoning="r", generated_code="raise KeyError('k')"),
                          chat(reasoning="r", generated_code="SUBMIT({'answer': 'ok'})")],
                    answer=[chat(reasoning="r", answer="ok")])
    (result, calls) = both(QA, {"question": "q"}, script, interpreter=sandbox_factory())
    assert result[0] == "ok" and "KeyError: ['k']" in calls[1].messages[-1]["content"]


@pytest.mark.parametrize("inputs", [{}, {"questio": "q"}, {"extra": 1}])
def test_bad_inputs_are_the_same_input_error_before_any_lm_call(inputs):
    (result, calls) = both(QA, inputs, Script())
    assert result[0] == "input_error" and calls == []


def test_an_extra_input_is_ignored_alike_with_a_warning():
    """The core's input rule, on both backends: a name no input resembles is not sent, and said so."""
    script = Script(code=[chat(reasoning="r", generated_code="print(6 * 7)")], answer=[chat(reasoning="r", answer="42")])
    with pytest.warns(dspex.InputWarning, match="'extra' not in the signature are ignored"):
        (result, calls) = both(QA, {"question": "q", "extra": "zzz-extra"}, script)
    assert result[0] == "ok" and calls and not any("zzz-extra" in m["content"] for c in calls for m in c.messages)


# -- saved states, both ways ----------------------------------------------------------------

def _program(sig):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dspy.ProgramOfThought(sig, max_iters=2)


def test_a_state_dspy_saved_loads_natively_and_runs_alike(tmp_path):
    """Instructions, field descriptions and demos changed in dspy, saved, loaded natively."""
    program = _program("question -> answer: int")
    program.code_generate.predict.signature = program.code_generate.predict.signature.with_instructions(
        "Write Python that prints the answer.")
    program.generate_output.predict.demos = [dspy.Example(question="1+1?", final_generated_code="print(2)",
                                                          code_output='"2\\n"', reasoning="r", answer=2)]
    path = tmp_path / "pot.json"
    program.save(str(path))
    saved = json.loads(path.read_text())
    script = Script(code=[chat(reasoning="r", generated_code="print(3)")], answer=[chat(reasoning="r", answer="3")])
    mine = native.load_state("question -> answer: int", saved, interpreter=None)
    theirs = via_dspy.load_state("question -> answer: int", {k: v for k, v in saved.items() if k != "metadata"})
    assert native.dump_state(mine) == via_dspy.dump_state(theirs)
    lm_native, lm_dspy = script.lm(), script.lm()
    assert outcome(lambda: native.execute(mine, {"question": "1+2?"}, lm=lm_native)) == \
        outcome(lambda: via_dspy.execute(theirs, {"question": "1+2?"}, lm=lm_dspy))
    assert [c.messages for c in lm_native.calls] == [c.messages for c in lm_dspy.calls]
    assert "Write Python that prints the answer." in lm_native.calls[0].messages[0]["content"]


def test_a_native_save_loads_in_plain_dspy(tmp_path):
    sig = Signature("question, context: list[str] -> answer: float")
    state = native.create(sig, demos=[{"question": "q", "context": ["c"], "answer": 1.5}], interpreter=lambda: None)
    path = tmp_path / "native.json"
    native.save(state, path)
    program = _program(sig.signature)
    program.load(str(path))
    assert program.dump_state() == native.dump_state(state)
    assert json.loads(path.read_text())["metadata"]["dspex"] == {"module_type": "program_of_thought",
                                                                 "signature": sig.signature}
