"""DSPy's RLM and interpreter API on the layer, without dspy: the REPL loop driven by scripted
predictors and a scripted interpreter, the interpreter factory's rules, and what is not built.

The prompts RLM sends are compared with real dspy's in tests/parity (the rlm_loop program).
"""

import subprocess
import sys

import pytest

import dspex_core


@pytest.fixture
def dspy():
    import dspex_compat

    dspex_compat.install()
    import dspy

    return dspy


class Scripted:
    """A predictor stand-in returning the given predictions in turn."""

    def __init__(self, dspy, *outputs):
        self.outputs = [dspy.Prediction(**o) for o in outputs]
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self.outputs[len(self.calls) - 1]


class Interpreter:
    """A CodeInterpreter returning scripted results, recording code and shutdown. Like a restricted
    runtime, it cannot host the sandbox dspy facade (RLM goes on without sub-agents)."""

    def __init__(self, *results):
        self.tools = {}
        self.results = list(results)
        self.code = []
        self.closed = False

    def start(self):
        pass

    def execute(self, code, variables=None):
        if "__dspy_construct__" in code:
            from dspex_compat._interpreter import CodeExecutionError

            raise CodeExecutionError("this runtime cannot host the dspy facade")
        self.code.append((code, variables))
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result

    def shutdown(self):
        self.closed = True


def test_the_loop_retries_errors_and_types_then_submits(dspy):
    from dspy.primitives.code_interpreter import CodeExecutionError, FinalOutput

    made = []

    def factory():
        made.append(Interpreter("seen", CodeExecutionError("NameError: x"), FinalOutput({"n": "many"}),
                                FinalOutput({"n": 4})))
        return made[-1]

    rlm = dspy.RLM("text -> n: int", max_iters=5, interpreter_factory=factory)
    rlm.generate_action = Scripted(dspy, *({"reasoning": f"r{i}", "code": f"```python\nstep{i}()\n```"}
                                           for i in range(4)))
    result = rlm(text="abc")
    assert result.n == 4 and result.final_reasoning == "r3"
    outputs = [step["output"] for step in result.trajectory]
    assert outputs[:2] == ["seen", "[Error] NameError: x"]
    assert outputs[2].startswith("[Type Error] n: expected int, got str")
    assert [code for code, _ in made[0].code] == ["step0()", "step1()", "step2()", "step3()"]
    assert made[0].code[0][1] == {"text": "abc"}
    assert set(made[0].tools) == {"llm_query", "llm_query_batched"}
    assert made[0].closed


def test_interpreter_failures_propagate_and_the_interpreter_is_shut_down(dspy):
    from dspy.primitives.code_interpreter import CodeInterpreterError

    interpreter = Interpreter(CodeInterpreterError("protocol corrupt"))
    rlm = dspy.RLM("q -> a", interpreter_factory=lambda: interpreter)
    rlm.generate_action = Scripted(dspy, {"reasoning": "", "code": "print(1)"})
    with pytest.raises(CodeInterpreterError, match="protocol corrupt"):
        rlm(q="x")
    assert interpreter.closed


def test_predictors_are_layer_predicts_with_dspys_signatures(dspy):
    rlm = dspy.RLM("document, question -> summary", max_llm_calls=7, interpreter_factory=Interpreter)
    assert [name for name, _ in rlm.named_predictors()] == ["generate_action", "extract"]
    action = rlm.generate_action.signature
    assert list(action.input_fields) == ["variables_info", "repl_history", "iteration"]
    assert list(action.output_fields) == ["reasoning", "code"]
    assert action.instructions.startswith("Given the fields `document`, `question`, produce the fields `summary`.\n\n"
                                          "You are tasked with producing the following outputs given the inputs "
                                          "`document`, `question`:\n- {summary}\n")
    assert "You have max 7 sub-LLM calls." in action.instructions
    assert list(rlm.extract.signature.fields) == ["variables_info", "repl_history", "summary"]


def test_the_configured_factory_is_used_and_its_rules_reach_the_prompt(dspy):
    class Factory:
        execution_instructions = "Runs on the test runtime."

        def __call__(self):
            return Interpreter()

    with dspy.context(interpreter_factory=Factory()):
        rlm = dspy.RLM("q -> a")
        assert "Execution environment:\nRuns on the test runtime." in rlm.generate_action.signature.instructions
    with pytest.raises(TypeError, match="already implements CodeInterpreter"):
        dspy.RLM("q -> a", interpreter_factory=Interpreter())


def test_python_interpreter_cannot_run_code_and_says_what_to_do(dspy):
    rlm = dspy.RLM("q -> a")
    rlm.generate_action = Scripted(dspy, {"reasoning": "", "code": "print(1)"})
    with pytest.raises(dspex_core.CapabilityError, match="PythonInterpreter .*interpreter_factory"):
        rlm(q="x")
    with pytest.raises(NotImplementedError), dspy.PythonInterpreter() as interpreter:
        interpreter.execute("print(1)")


def test_llm_query_budget_and_batched_errors(dspy):
    calls = []

    def sub_lm(prompt):
        calls.append(prompt)
        if prompt == "bad":
            raise dspy.LMTransportError("down")
        return [f"re: {prompt}"]

    tools = dspy.RLM("q -> a", max_llm_calls=3, sub_lm=sub_lm, interpreter_factory=Interpreter)._make_llm_tools()
    assert tools["llm_query"]("hi") == "re: hi"
    assert tools["llm_query_batched"](["a", "bad"]) == ["re: a", "[ERROR] down"]
    with pytest.raises(RuntimeError, match="LLM call limit exceeded: 3 \\+ 1 > 3"):
        tools["llm_query"]("more")


def test_import_dspy_loads_neither_rlm_nor_the_local_interpreter_until_used():
    code = ("import sys, dspex_compat; dspex_compat.install(); import dspy\n"
            "loaded = lambda: [m in sys.modules for m in ('pydantic', 'dspex_compat._rlm', 'dspex_compat._interpreter_local')]\n"
            "before = loaded(); dspy.RLM; dspy.LocalInterpreter; print(before, loaded())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[False, False, False] [True, True, True]", done.stderr


def test_tools_reach_the_interpreter_with_dspys_argument_conversion(dspy):
    from pydantic import BaseModel

    class Payload(BaseModel):
        value: int

    def score(payload: Payload, factor: int = 2) -> int:
        """Score a payload."""
        return payload.value * factor

    rlm = dspy.RLM("q -> a", tools=[score], interpreter_factory=Interpreter)
    assert "- `score(payload: object, factor: integer)` - Score a payload." in rlm.generate_action.signature.instructions
    tool = rlm._prepare_execution_tools()["score"]
    assert tool(payload={"value": 3}) == 6
    with pytest.raises(ValueError, match="Arg other is not in the tool's args"):
        tool(payload={"value": 3}, other=1)
