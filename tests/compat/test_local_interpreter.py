"""DSPy's LocalInterpreter on the layer: a persistent CPython worker process that runs code with
the host's tools and SUBMIT as globals (it is not a sandbox), and RLM running on it."""

import pytest


@pytest.fixture
def dspy():
    import dspex_compat

    dspex_compat.install()
    import dspy

    return dspy


def test_a_session_keeps_state_calls_host_tools_and_reports_outcomes(dspy):
    from dspy.primitives.code_interpreter import CodeExecutionError, CodeInterpreterError, FinalOutput

    seen = []

    def twice(x):
        seen.append(x)
        return x * 2

    async def later(x):
        return x + 1

    def broken():
        raise ValueError("no")

    fields = [{"name": "a"}, {"name": "b"}]
    with dspy.LocalInterpreter(tools={"twice": twice, "later": later, "broken": broken},
                               output_fields=fields) as interpreter:
        assert interpreter.execute("x = twice(21)\nprint('x is', x)") == "x is 42"
        assert interpreter.execute("later(x)") == 43  # the last expression's value; an async tool is awaited
        assert interpreter.execute("print(items[1] is None)", {"items": [1, None]}) == "True"
        assert interpreter.execute("y = 1") is None
        assert interpreter.execute("SUBMIT(x, 'y')") == FinalOutput({"a": 42, "b": "y"})
        with pytest.raises(CodeExecutionError, match="ZeroDivisionError: division by zero"):
            interpreter.execute("1/0")
        with pytest.raises(CodeExecutionError, match="RuntimeError: ValueError: no"):
            interpreter.execute("broken()")
        with pytest.raises(SyntaxError):
            interpreter.execute("def (")
        with pytest.raises(CodeInterpreterError, match="distinct from tool names"):
            interpreter.execute("1", {"twice": 1})
        assert seen == [21]
    with pytest.raises(CodeInterpreterError, match="shut down"):
        interpreter.start()
    with pytest.raises(ValueError, match="invalid names: \\['SUBMIT'\\]"):
        dspy.LocalInterpreter(tools={"SUBMIT": print})


def test_rlm_runs_on_it_with_its_runtime_rules(dspy):
    from dspy.utils import DummyLM

    lm = DummyLM([{"reasoning": "look", "code": "print(len(text))"},
                  {"reasoning": "ask", "code": "w = llm_query('hi')\nSUBMIT(len(text), w)"}])
    rlm = dspy.RLM("text -> n: int, word", interpreter_factory=dspy.LocalInterpreter,
                   sub_lm=DummyLM([{"x": "ok"}]))
    with dspy.context(lm=lm):
        result = rlm(text="hello")
    assert (result.n, result.word) == (5, "[[ ## x ## ]]\nok")
    assert [step["output"] for step in result.trajectory] == ["5", "FINAL: {'n': 5, 'word': '[[ ## x ## ]]\\nok'}"]
    assert "Code runs as Python in a persistent local subprocess." in lm.history[0]["messages"][0]["content"]


def test_sub_agents_charge_the_llm_budget_whatever_their_kind(dspy):
    from dspy.utils import DummyLM

    lm = DummyLM([
        {"reasoning": "", "code": "import dspy\nqa = dspy.Predict('q -> a')\nprint(qa(q='1').a)\nprint(qa(q='2').a)"},
        {"reasoning": "", "code": "import dspy\ndspy.ReActV2('q -> a', tools=[])(q='x')"},
        {"reasoning": "", "code": "SUBMIT('done')"},
    ])
    rlm = dspy.RLM("text -> word", interpreter_factory=dspy.LocalInterpreter, sub_lm=DummyLM([{"a": "one"}]),
                   max_llm_calls=1)
    with dspy.context(lm=lm):
        result = rlm(text="t")
    first, second, _ = [step["output"] for step in result.trajectory]
    assert first.startswith("[Error] RuntimeError: RuntimeError: LLM call limit exceeded: 1 + 1 > 1.")
    assert second == first  # a ReActV2 sub-agent is built too, and its first LM call is over the budget
