"""Native ``program_of_thought`` on its own: bad input fails before any LM call, a missing
sandbox is a CapabilityError that says how to install it, the async twin and the saved state
behave like the sync module, and a module created from DSPy's ideas runs end to end.

(tests/parity compares every request with DSPy's; tests/native/test_sandbox.py shows what the
sandbox keeps the code from reaching.)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError, Signature
from dspex_core.testing import RecordingLM
from dspex_native.modules.program_of_thought import implementation as pot
from dspex_native.sandbox import pool
from dspex_native.sandbox.interpreter import PyodideInterpreter
from dspex_native.sandbox.results import CodeExecutionError, FinalOutput

QA = "question -> answer"


def chat(**fields) -> str:
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


def code(text: str) -> str:
    return chat(reasoning="r", generated_code=text)


class FakeInterpreter:
    """A scripted interpreter (DSPy's protocol): answers from a list, records the code."""

    def __init__(self, results):
        self.results = list(results)
        self.ran: list[str] = []
        self.ended = False

    def execute(self, text):
        self.ran.append(text)
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result

    def shutdown(self):
        self.ended = True


# -- bad input, before any LM call -------------------------------------------------------------

@pytest.mark.parametrize("spec, options, words", [
    (None, {}, "needs a signature"),
    (QA, {"temperature": 0.5}, "unknown option(s) 'temperature'"),
    (QA, {"max_iters": 0}, "max_iters must be a positive integer"),
    (QA, {"max_iters": -1}, "max_iters must be a positive integer"),
    (QA, {"max_iters": True}, "max_iters must be a positive integer"),
    (QA, {"max_iters": "3"}, "max_iters must be a positive integer"),
    (QA, {"interpreter": "local"}, "interpreter must be a zero-argument factory"),
    (QA, {"interpreter": 42}, "interpreter must be a zero-argument factory"),
    (QA, {"adapter": "yaml"}, "adapter must be one of"),
    (QA, {"lm": "openai/gpt-4o-mini"}, "dspex.LM('openai/gpt-4o-mini')"),
    (QA, {"demos": "question=1"}, "demos must be a list"),
    ("question, error -> answer", {}, "input 'error'"),
    ("generated_code -> answer", {}, "input 'generated_code'"),
    ("reasoning -> answer", {}, "input 'reasoning'"),
    ("question -> code_output", {}, "output 'code_output'"),
    ("question -> final_generated_code", {}, "output 'final_generated_code'"),
    ("question -> reasoning", {}, "output 'reasoning'"),
])
def test_create_refuses_bad_options_and_signatures(spec, options, words):
    with pytest.raises((InputError, dspex.SignatureError)) as info:
        pot.create(spec, **options)
    assert words in str(info.value)


def test_an_interpreter_instance_is_refused_where_a_factory_belongs():
    class CallableInterpreter(FakeInterpreter):
        def __call__(self, text):
            return self.execute(text)

    with pytest.raises(InputError, match="is an interpreter itself"):
        pot.create(QA, interpreter=CallableInterpreter([]))


def test_outputs_may_reuse_the_names_of_code_steps_inputs():
    """An output named generated_code, previous_code or error replaces nothing (as in DSPy)."""
    state = pot.create("question -> generated_code, error", interpreter=lambda: FakeInterpreter([]))
    assert list(state.answer.signature.output_fields) == ["reasoning", "generated_code", "error"]


@pytest.mark.parametrize("inputs, options, words", [
    ({}, {}, "missing input field(s) 'question'; the inputs are question"),
    ({"qestion": "q"}, {}, "unknown input field(s) 'qestion' (did you mean 'question'?)"),
    (["question"], {}, "inputs must be a mapping"),
    ({"question": "q"}, {"demos": []}, "unknown call option(s) ['demos']"),
    ({"question": "q"}, {"config": "hot"}, "config must be a dict"),
    ({"question": "q"}, {"lm": "openai/gpt-4o-mini"}, "dspex.LM('openai/gpt-4o-mini')"),
])
def test_bad_calls_fail_before_any_lm_call(inputs, options, words):
    lm = RecordingLM([])
    made = []
    state = pot.create(QA, lm=lm, interpreter=lambda: made.append(1) or FakeInterpreter([]))
    with pytest.raises(InputError) as info:
        pot.execute(state, inputs, **options)
    assert words in str(info.value)
    assert lm.calls == [] and made == []


def test_no_lm_anywhere_is_an_input_error_before_the_interpreter_is_made():
    made = []
    state = pot.create(QA, interpreter=lambda: made.append(1) or FakeInterpreter([]))
    with pytest.raises(InputError, match="dspex.configure"):
        pot.execute(state, {"question": "q"})
    assert made == []


def test_a_factory_that_makes_no_interpreter_fails_before_any_lm_call():
    lm = RecordingLM([])
    state = pot.create(QA, lm=lm, interpreter=lambda: "not an interpreter")
    with pytest.raises(InputError, match="returned str"):
        pot.execute(state, {"question": "q"})
    assert lm.calls == []


# -- the sandbox is required, never replaced silently --------------------------------------------

@pytest.fixture
def fresh_pool(monkeypatch):
    """No spare and no remembered verdicts: the next check looks again."""
    pool.close()
    monkeypatch.setattr(pool, "_verdicts", {})
    yield
    pool.close()


def test_without_deno_create_is_a_capability_error_with_the_install_command(monkeypatch, tmp_path, fresh_pool):
    monkeypatch.setitem(sys.modules, "deno", None)  # the extra is not installed
    monkeypatch.setenv("PATH", str(tmp_path))  # and no deno on PATH
    with pytest.raises(CapabilityError) as info:
        dspex.ProgramOfThought.create(QA, implementation="native", lm=RecordingLM([]))
    message = str(info.value)
    assert isinstance(info.value, NotImplementedError)  # the router may serve it elsewhere
    assert 'pip install "dspex-native[sandbox]", then python -m dspex_native.sandbox' in message
    assert "never runs that code outside the sandbox unless you pass interpreter=" in message
    # an interpreter the caller chose needs no Deno
    state = pot.create(QA, interpreter=lambda: FakeInterpreter([FinalOutput({"answer": 1})]))
    lm = RecordingLM([code("SUBMIT({'answer': 1})"), chat(reasoning="r", answer="1")])
    assert pot.execute(state, {"question": "q"}, lm=lm).answer == "1"


def test_without_pyodide_in_denos_cache_create_says_to_run_the_install_step(monkeypatch, tmp_path, fresh_pool):
    monkeypatch.setenv("DENO_DIR", str(tmp_path))
    with pytest.raises(CapabilityError, match=r"Pyodide [\d.]+ is not in Deno's cache.*python -m dspex_native.sandbox"):
        pot.create(QA)


def _fake_deno(tmp_path, script: str):
    """A 'deno' executable made of a shell script, served as the deno distribution's binary."""
    import types

    binary = tmp_path / "deno"
    binary.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    binary.chmod(0o755)
    fake = types.ModuleType("deno")
    fake.find_deno_bin = lambda: str(binary)
    return fake


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for Deno")
def test_a_deno_that_cannot_start_the_sandbox_is_a_capability_error_quoting_it(monkeypatch, tmp_path, fresh_pool):
    fake = _fake_deno(tmp_path, """
        if [ "$1" = "--version" ]; then echo "deno 2.1.0 (stable)"; exit 0; fi
        echo "error: something Deno says" >&2
        exit 3
    """)
    cache = tmp_path / "cache"
    (cache / "npm" / "registry.npmjs.org" / "pyodide").mkdir(parents=True)
    from dspex_native.sandbox.runtime import pyodide_version

    folder = cache / "npm" / "registry.npmjs.org" / "pyodide" / pyodide_version()
    folder.mkdir()
    (folder / "pyodide.asm.wasm").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "deno", fake)
    monkeypatch.setenv("DENO_DIR", str(cache))
    with pytest.raises(CapabilityError) as info:
        pot.create(QA)
    assert "could not start" in str(info.value) and "error: something Deno says" in str(info.value)
    assert "exit code 3" in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for Deno")
def test_deno_1_is_refused(monkeypatch, tmp_path, fresh_pool):
    monkeypatch.setitem(sys.modules, "deno", _fake_deno(tmp_path, 'echo "deno 1.46.3 (stable)"\n'))
    with pytest.raises(CapabilityError, match=r"needs Deno 2\.x.*1\.46\.3"):
        pot.create(QA)


def test_the_install_step_reports_what_is_missing(tmp_path):
    script = ("import sys; sys.modules['deno'] = None\n"
              "from dspex_native.sandbox.__main__ import main\nraise SystemExit(main())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"PATH": str(tmp_path), "DENO_DIR": str(tmp_path)}, timeout=60)
    assert done.returncode == 1
    assert 'pip install "dspex-native[sandbox]"' in done.stderr


def test_the_install_step_proves_the_sandbox_works():
    done = subprocess.run([sys.executable, "-m", "dspex_native.sandbox"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "the program_of_thought sandbox is ready" in done.stdout


# -- running ------------------------------------------------------------------------------------

def test_a_call_runs_the_code_in_the_sandbox_and_answers_from_its_output():
    lm = RecordingLM([code("```python\nresult = sum(range(10))\nSUBMIT({'answer': result})\n```"),
                      chat(reasoning="The code says 45.", answer="45")])
    pred = dspex.ProgramOfThought.create(QA, implementation="native", lm=lm)(question="sum of 0..9?")
    assert dict(pred) == {"reasoning": "The code says 45.", "answer": "45"}
    assert '[[ ## code_output ## ]]\n{"output": {"answer": 45}}' in lm.calls[1].messages[-1]["content"]


def test_failures_go_back_to_the_lm_until_max_iters_then_an_input_error():
    interpreter = FakeInterpreter([CodeExecutionError("ZeroDivisionError: ['division by zero']"),
                                   SyntaxError("Invalid Python syntax. message: ")])
    lm = RecordingLM([code("1/0"), code("a = 1 = 2"), code("def f(:")])
    state = pot.create(QA, max_iters=3, lm=lm, interpreter=lambda: interpreter)
    with pytest.raises(InputError) as info:
        pot.execute(state, {"question": "q"})
    assert str(info.value) == ("program_of_thought: Max hops reached. Failed to run ProgramOfThought: "
                               "Invalid Python syntax. message: ")
    assert interpreter.ran == ["1/0", "def f(:"]  # the unparseable reply never ran
    assert len(lm.calls) == 3 and interpreter.ended
    second, third = (call.messages[-1]["content"] for call in lm.calls[1:])
    assert "[[ ## error ## ]]\nZeroDivisionError: ['division by zero']" in second
    assert "[[ ## previous_code ## ]]\na = 1 = 2\n\n[[ ## error ## ]]\nError: Code format is not correct." in third


def test_an_interpreter_failure_other_than_the_codes_ends_the_call_and_the_session():
    interpreter = FakeInterpreter([OSError("the sandbox vanished")])
    state = pot.create(QA, lm=RecordingLM([code("print(1)")]), interpreter=lambda: interpreter)
    with pytest.raises(OSError, match="vanished"):
        pot.execute(state, {"question": "q"})
    assert interpreter.ended


def test_the_async_twin_sends_the_same_requests_and_returns_the_same_prediction():
    script = [code("x = 6 * 7\n1/0"), code("print(x)"), chat(reasoning="r", answer="42")]
    sync_lm, async_lm = RecordingLM(list(script)), RecordingLM(list(script))
    state = pot.create(QA)
    mine = pot.execute(state, {"question": "q"}, lm=sync_lm)
    theirs = asyncio.run(pot.aexecute(state, {"question": "q"}, lm=async_lm))
    assert dict(mine) == dict(theirs) == {"reasoning": "r", "answer": "42"}
    assert [c.messages for c in sync_lm.calls] == [c.messages for c in async_lm.calls]
    assert '[[ ## code_output ## ]]\n"42\\n"' in async_lm.calls[-1].messages[-1]["content"]


def test_the_async_twin_keeps_an_interpreter_on_one_thread():
    """DSPy's interpreters refuse a second thread; the async twin uses one worker per call."""
    import threading

    class OneThread(FakeInterpreter):
        def execute(self, text):
            self.threads = getattr(self, "threads", set()) | {threading.get_ident()}
            return super().execute(text)

    interpreter = OneThread([CodeExecutionError("ValueError: ['x']"), "fine\n"])
    lm = RecordingLM([code("raise ValueError('x')"), code("print('fine')"), chat(reasoning="r", answer="a")])
    state = pot.create(QA, lm=lm, interpreter=lambda: interpreter)
    asyncio.run(pot.aexecute(state, {"question": "q"}))
    assert len(interpreter.threads) == 1 and threading.get_ident() not in interpreter.threads


# -- describe, saved state -------------------------------------------------------------------------

def test_describe_names_the_steps_and_what_the_module_produces():
    state = pot.create("question, n: int -> answer: float", max_iters=2)
    described = pot.describe(state)
    assert described["inputs"] == ["question", "n"] and described["outputs"] == ["reasoning", "answer"]
    assert described["max_iters"] == 2 and described["interpreter"] == "sandboxed"
    assert list(described["predictors"]) == ["code_generate.predict", "code_regenerate.predict",
                                             "generate_output.predict"]
    assert described["predictors"]["code_regenerate.predict"]["signature"] == \
        "question, n: int, previous_code: str, error: str -> reasoning: str, generated_code: str"


def test_save_and_load_state_round_trip(tmp_path):
    sig = Signature("question -> answer: int")
    demos = [{"question": "1+1?", "answer": 2}]
    state = pot.create(sig, demos=demos)
    path = tmp_path / "pot.json"
    pot.save(state, path)
    saved = json.loads(path.read_text())
    assert set(saved) == {"code_generate.predict", "code_regenerate.predict", "generate_output.predict", "metadata"}
    assert saved["metadata"]["dspex"] == {"module_type": "program_of_thought", "signature": "question -> answer: int"}
    saved["code_generate.predict"]["signature"]["instructions"] = "Write short Python."
    loaded = pot.load_state(sig, saved)
    assert pot.dump_state(loaded)["generate_output.predict"]["demos"] == demos
    lm = RecordingLM([code("print(2)"), chat(reasoning="r", answer="2")])
    assert pot.execute(loaded, {"question": "1+1?"}, lm=lm).answer == 2
    assert "Write short Python." in lm.calls[0].messages[0]["content"]


@pytest.mark.parametrize("state_dict, words", [
    ({"code_generate.predict": {}}, "no predictor state for code_regenerate.predict, generate_output.predict"),
    ("x", "needs the dict"),
])
def test_a_state_that_does_not_fit_is_an_input_error(state_dict, words):
    with pytest.raises(InputError, match=words):
        pot.load_state(QA, state_dict)


def test_save_refuses_other_formats(tmp_path):
    with pytest.raises(InputError, match=".json"):
        pot.save(pot.create(QA), tmp_path / "pot.pkl")


# -- the interpreter on its own ---------------------------------------------------------------------

def test_a_session_answers_as_dspys_interpreter_does():
    with PyodideInterpreter() as session:
        assert session.execute("x = 2\nx * 21") == 42
        assert session.execute("print('hi')\nprint(x)") == "hi\n2\n"
        assert session.execute("SUBMIT({'a': [1, 2]})") == FinalOutput({"output": {"a": [1, 2]}})
        with pytest.raises(CodeExecutionError, match=r"^KeyError: \['k'\]$"):
            session.execute("{}['k']")
        with pytest.raises(SyntaxError, match="^Invalid Python syntax. message: "):
            session.execute("def f(:")
    with pytest.raises(dspex.DspexError, match="ended"):
        session.execute("1")
