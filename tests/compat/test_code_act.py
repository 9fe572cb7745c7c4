"""DSPy's CodeAct on the layer: a ReAct loop of Python steps (``codeact``, a dspex reference) that
call the tools defined in the interpreter, then ``extractor`` answers from the trajectory."""

import json

import pytest


def test_the_program_runs_on_the_layer(run, tmp_path):
    done = run("code_act", str(tmp_path / "act.json"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    answer, _, trajectory = out["first"]
    assert answer == 3.0
    assert trajectory["observation_0"] == "Failed to parse the generated code: Error: Code format is not correct."
    assert trajectory["observation_1"] == ("Failed to execute the generated code: NameError: name 'unknown' is not "
                                           "defined")
    assert trajectory["code_output_2"] == '"SUM 3\\n"'
    assert out["ran"][0].startswith("def add(a: float, b: float) -> float:")  # the tools' source, defined first
    assert out["second"] == [4.0, {"generated_code_0": "print(add(2, 2))", "code_output_0": '"4\\n"'}]
    assert out["predictors"] == ["codeact", "extractor.predict"]
    assert len(out["messages"]) == 6


def test_callable_objects_are_refused():
    import dspex_compat

    dspex_compat.install()
    import dspy

    class Adder:
        def __call__(self, a: int, b: int) -> int:
            return a + b

    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="only accepts functions"):
        dspy.CodeAct("question -> answer", tools=[Adder()])
