"""react, multi_chain_comparison and program_of_thought end to end through the dspy backend."""

from __future__ import annotations

import pytest
from dspy_helpers import chat

import dspex_core as dspex
from dspex_core.testing import RecordingLM


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_react_calls_the_python_tool_and_returns_trajectory_and_outputs():
    calls = []

    def lookup(city: str) -> str:
        """Look up the weather."""
        calls.append(city)
        return f"sunny in {city}"

    lm = RecordingLM([
        chat(next_thought="I should look it up.", next_tool_name="lookup", next_tool_args={"city": "Paris"}),
        chat(next_thought="Done.", next_tool_name="finish", next_tool_args={}),
        chat(reasoning="The tool said sunny.", answer="sunny"),
    ])
    ref = dspex.ReAct.create("question -> answer", tools=[lookup], max_iters=5, implementation="dspy", lm=lm)
    pred = ref(question="Weather in Paris?")
    assert calls == ["Paris"]
    assert pred.answer == "sunny"
    assert pred.trajectory["observation_0"] == "sunny in Paris"
    assert pred.trajectory["tool_name_1"] == "finish"
    assert "lookup" in lm.calls[0].messages[0]["content"]


def test_react_max_iters_bounds_the_loop():
    lm = RecordingLM([
        chat(next_thought="again", next_tool_name="get_weather", next_tool_args={"city": "Oslo"}),
        chat(reasoning="r", answer="cold"),
    ])
    ref = dspex.ReAct.create("question -> answer", tools=[get_weather], max_iters=1, implementation="dspy", lm=lm)
    assert ref(question="q").answer == "cold"
    assert lm.call_count == 2


@pytest.mark.parametrize("tools, needle", [
    (["get_weather"], "unknown tool name"),
    ([42], "not callable"),
    ([get_weather, get_weather], "two tools are named 'get_weather'"),
    (None, "tools=[...]"),
    ("get_weather", "list of Python callables"),
])
def test_react_bad_tools_are_input_errors_naming_the_tool(tools, needle):
    with pytest.raises(dspex.InputError, match=needle.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        dspex.ReAct.create("question -> answer", tools=tools, implementation="dspy")


def test_react_tool_named_finish_is_rejected():
    def finish() -> str:
        return "x"

    with pytest.raises(dspex.InputError, match="finish"):
        dspex.ReAct.create("question -> answer", tools=[finish], implementation="dspy")


def test_multi_chain_comparison_compares_m_completions():
    lm = RecordingLM([chat(rationale="Both agree on 4.", answer="4")])
    ref = dspex.MultiChainComparison.create("question -> answer", M=2, implementation="dspy", lm=lm)
    completions = [dspex.Prediction(reasoning="2+2 is 4", answer="4"), {"reasoning": "adding", "answer": "4"}]
    pred = ref(question="2+2?", completions=completions)
    assert pred.rationale == "Both agree on 4." and pred.answer == "4"
    prompt = lm.calls[0].messages[-1]["content"]
    assert "I'm trying to 2+2 is 4" in prompt and "my prediction is 4" in prompt
    assert lm.calls[0].settings.get("temperature") == 0.7


def test_multi_chain_comparison_wrong_number_of_completions():
    ref = dspex.MultiChainComparison.create("question -> answer", M=3, implementation="dspy",
                                            lm=RecordingLM(chat(rationale="r", answer="a")))
    with pytest.raises(dspex.InputError, match="M=3 and got 1"):
        ref(question="q", completions=[{"reasoning": "r", "answer": "a"}])
    with pytest.raises(dspex.InputError, match="completions"):
        ref(question="q")


def test_program_of_thought_runs_generated_code_in_the_sandbox():
    lm = RecordingLM([
        chat(reasoning="Compute it.", generated_code="```python\nresult = sum(range(10))\nSUBMIT({'answer': result})\n```"),
        chat(reasoning="The code printed 45.", answer="45"),
    ])
    ref = dspex.ProgramOfThought.create("question -> answer", implementation="dspy", lm=lm)
    pred = ref(question="What is the sum of 0..9?")
    assert pred.answer == "45"
    answer_prompt = lm.calls[1].messages[-1]["content"]
    assert "45" in answer_prompt  # the sandbox's output reached the final step


def test_program_of_thought_sandbox_has_no_host_filesystem():
    lm = RecordingLM([
        chat(reasoning="Read a host file.", generated_code="```python\nimport os\nSUBMIT({'answer': str(os.path.exists('/work'))})\n```"),
        chat(reasoning="r", answer="done"),
    ])
    ref = dspex.ProgramOfThought.create("question -> answer", implementation="dspy", lm=lm)
    ref(question="q")
    assert "False" in lm.calls[1].messages[-1]["content"]


def test_program_of_thought_rejects_a_non_factory_interpreter():
    with pytest.raises(dspex.InputError, match="interpreter"):
        dspex.ProgramOfThought.create("question -> answer", interpreter="local", implementation="dspy")


def test_program_of_thought_without_a_working_sandbox_is_a_capability_error(monkeypatch):
    import deno

    from dspex_dspy import sandbox

    monkeypatch.setattr(sandbox, "_checked", {})
    monkeypatch.setattr(deno, "find_deno_bin", lambda: "/nonexistent/deno")
    with pytest.raises(dspex.CapabilityError, match="sandboxed interpreter.*could not start") as info:
        dspex.ProgramOfThought.create("question -> answer", implementation="dspy")
    assert "does not fall back to an unsandboxed interpreter" in str(info.value)
    assert "npm registry" in str(info.value)


def test_program_of_thought_takes_an_explicit_interpreter_factory():
    from dspex_dspy.sandbox import SandboxedInterpreter

    made = []

    def factory():
        made.append(SandboxedInterpreter())
        return made[-1]

    lm = RecordingLM([
        chat(reasoning="r", generated_code="```python\nSUBMIT({'answer': 6 * 7})\n```"),
        chat(reasoning="r", answer="42"),
    ])
    ref = dspex.ProgramOfThought.create("question -> answer", interpreter=factory, implementation="dspy", lm=lm)
    assert ref(question="6*7?").answer == "42"
    assert len(made) == 1


def test_async_chain_of_thought_and_react():
    import asyncio

    lm = RecordingLM([
        chat(reasoning="r", answer="a"),
        chat(next_thought="done", next_tool_name="finish", next_tool_args={}),
        chat(reasoning="r", answer="b"),
    ])
    cot = dspex.ChainOfThought.create("question -> answer", implementation="dspy", lm=lm)
    react = dspex.ReAct.create("question -> answer", tools=[get_weather], implementation="dspy", lm=lm)

    async def main():
        return (await cot.acall(question="q")).answer, (await react.acall(question="q")).answer

    assert asyncio.run(main()) == ("a", "b")
