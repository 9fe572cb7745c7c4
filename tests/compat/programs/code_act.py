"""CodeAct: the tools' source defined in the interpreter, code that fails to parse, code that raises,
code that calls a tool and prints, the finished flag, max_iters per call, and the saved state.

The interpreter runs code with exec (it is no sandbox).
"""

import contextlib
import io
import json
import sys
import warnings

import dspy
from dspy.primitives.code_interpreter import CodeExecutionError
from dspy.utils import DummyLM


class ExecInterpreter:
    """Runs code with exec in one namespace per session and returns what it printed."""

    def __init__(self):
        self.tools = {}
        self.namespace = {}
        self.ran = []

    def start(self):
        pass

    def execute(self, code, variables=None):
        self.ran.append(code)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "<codeact>", "exec"), self.namespace)  # noqa: S102 - the test's own code
        except SyntaxError as exc:
            raise CodeExecutionError(f"SyntaxError: {exc.msg}") from exc
        except Exception as exc:  # noqa: BLE001 - the LM is shown the error
            raise CodeExecutionError(f"{type(exc).__name__}: {exc}") from exc
        return out.getvalue()

    def shutdown(self):
        pass


def add(a: float, b: float) -> float:
    "add two numbers"
    return a + b


def shout(text: str) -> str:
    return text.upper()


class Sum(dspy.Signature):
    """Add the numbers with the tools."""

    question: str = dspy.InputField()
    answer: float = dspy.OutputField(desc="The sum")


lm = DummyLM([
    {"reasoning": "r", "generated_code": "x = y = z = 1", "finished": False},
    {"reasoning": "r", "generated_code": "```python\nprint(unknown + 1)\n```", "finished": False},
    {"reasoning": "r", "generated_code": "```python\nresult = add(1, 2)\nprint(shout('sum'), result)\n```",
     "finished": True},
    {"reasoning": "From the output.", "answer": "3.0"},
    {"reasoning": "r", "generated_code": "```python\nprint(add(2, 2))\n```", "finished": False},
    {"reasoning": "Stopped early.", "answer": "4"},
])
dspy.configure(lm=lm)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    act = dspy.CodeAct(Sum, tools=[add, shout], max_iters=4, interpreter_factory=ExecInterpreter)
owned = ExecInterpreter()
first = act(owned, question="What is 1 + 2?")
second = act(question="What is 2 + 2?", max_iters=1)
if len(sys.argv) > 1:
    act.save(sys.argv[1])
print(json.dumps({
    "warnings": [str(w.message) for w in caught if w.category is DeprecationWarning],
    "first": [first.answer, first.reasoning, first.trajectory],
    "second": [second.answer, second.trajectory],
    "ran": owned.ran,
    "predictors": [name for name, _ in act.named_predictors()],
    "messages": [entry["messages"] for entry in lm.history],
}))
