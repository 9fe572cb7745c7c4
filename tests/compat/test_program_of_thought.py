"""DSPy's ProgramOfThought on the layer: three ChainOfThought predictors (dspex references), code
run in a fresh interpreter per call or in the caller's, repaired until max_iters."""

import json
import warnings

import pytest


@pytest.fixture
def dspy():
    import dspex_compat

    dspex_compat.install()
    import dspy

    return dspy


class _Interpreter:
    """Answers every execute with the next scripted outcome (raised when it is an exception)."""

    made = []

    def __init__(self, outcomes=()):
        self.tools, self.outcomes, self.closed = {}, list(outcomes), False
        _Interpreter.made.append(self)

    def start(self):
        pass

    def execute(self, code, variables=None):
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def shutdown(self):
        self.closed = True


def _pot(dspy, factory, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return dspy.ProgramOfThought("question -> answer", interpreter_factory=factory, **kwargs)


def test_the_predictors_are_chain_of_thoughts_with_dspys_signatures(dspy):
    with pytest.warns(DeprecationWarning, match="RLM is the preferred replacement"):
        pot = dspy.ProgramOfThought("question -> answer")
    assert [name for name, _ in pot.named_predictors()] == [
        "code_generate.predict", "code_regenerate.predict", "generate_output.predict"]
    assert list(pot.code_regenerate.predict.signature.fields) == [
        "question", "previous_code", "error", "reasoning", "generated_code"]
    assert pot.generate_output.predict.signature.instructions == (
        "Given the final code `question`, `final_generated_code`, `code_output`, provide the final `answer`.")
    with pytest.raises(TypeError, match="already implements CodeInterpreter"):
        dspy.ProgramOfThought("question -> answer", interpreter_factory=_Interpreter())


def test_failed_code_is_repaired_and_each_call_gets_a_fresh_interpreter(dspy):
    from dspy.primitives.code_interpreter import CodeExecutionError, FinalOutput

    _Interpreter.made.clear()
    outcomes = [CodeExecutionError("ZeroDivisionError: division by zero"), FinalOutput({"answer": 2})]
    pot = _pot(dspy, lambda: _Interpreter(outcomes))
    lm = dspy.utils.DummyLM([{"reasoning": "r", "generated_code": "1/0"}, {"reasoning": "r", "generated_code": "2"},
                             {"reasoning": "r", "answer": "2"}])
    with dspy.context(lm=lm):
        assert pot(question="1+1?").answer == "2"
    regenerate = lm.history[1]["messages"][1]["content"]
    assert "[[ ## error ## ]]\nZeroDivisionError: division by zero" in regenerate
    assert '[[ ## code_output ## ]]\n{"answer": 2}' in lm.history[2]["messages"][1]["content"]
    assert [interpreter.closed for interpreter in _Interpreter.made] == [True]

    owned = _Interpreter([CodeExecutionError("boom")] * 2)
    lm = dspy.utils.DummyLM([{"reasoning": "r", "generated_code": "x"}] * 2)
    with dspy.context(lm=lm), pytest.raises(RuntimeError, match="Failed to run ProgramOfThought: boom"):
        _pot(dspy, _Interpreter, max_iters=2)(owned, question="?")
    assert not owned.closed
    with pytest.raises(TypeError, match="first positional argument"):
        pot(question="?", interpreter=owned)


def test_the_program_runs_on_the_layer(run, tmp_path):
    done = run("program_of_thought", str(tmp_path / "pot.json"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["first"] == {"reasoning": "From the output.", "answer": "2"}
    assert out["second"] == {"reasoning": "Read the pair.", "maximum": 6, "minimum": 2}
    assert out["error"] == "Max hops reached. Failed to run ProgramOfThought: Error: Code format is not correct."
    assert ["shutdown_start", {}] in out["events"] and len(out["messages"]) == 6
    assert list(json.loads((tmp_path / "pot.json").read_text())) == [
        "code_generate.predict", "code_regenerate.predict", "generate_output.predict", "metadata"]
