"""RLM: code steps on a small interpreter of the program's own, a sub-LM query, a tool, SUBMIT with
a typed output, the extract fallback after max_iters, and the saved state of both predictors.

The interpreter runs code with exec (it is no sandbox) and, like a restricted runtime, cannot host
DSPy's sandbox dspy facade, so RLM runs without sub-agents on both dspy and the layer.
"""

import contextlib
import io
import json
import sys

import dspy
from dspy.primitives.code_interpreter import CodeExecutionError, FinalOutput
from dspy.utils import DummyLM


class _Submitted(Exception):
    pass


class ExecInterpreter:
    """Runs code with exec in one namespace per session; SUBMIT ends the run."""

    execution_instructions = "Python runs in-process with exec. State persists across executions."

    def __init__(self):
        self.tools = {}
        self.output_fields = None
        self.namespace = {}

    def start(self):
        pass

    def execute(self, code, variables=None):
        if "_dspy" in code:
            raise CodeExecutionError("this runtime does not host the dspy facade")
        names = [field["name"] for field in self.output_fields or []]

        def SUBMIT(*args, **kwargs):  # noqa: N802 - the name RLM's prompt gives it
            raise _Submitted({**dict(zip(names, args)), **kwargs})

        self.namespace.update(variables or {})
        self.namespace.update(self.tools)
        self.namespace["SUBMIT"] = SUBMIT
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "<rlm>", "exec"), self.namespace)  # noqa: S102 - the test's own code
        except _Submitted as submitted:
            return FinalOutput(submitted.args[0])
        except SyntaxError:
            raise
        except Exception as exc:  # noqa: BLE001 - the LM is shown the error
            raise CodeExecutionError(f"{type(exc).__name__}: {exc}") from exc
        return out.getvalue()

    def shutdown(self):
        pass


def lookup(key: str) -> str:
    """Look up a colour by fruit name."""
    return {"apple": "red"}.get(key, "unknown")


class Report(dspy.Signature):
    """Read the notes and answer the query."""

    notes: str = dspy.InputField(desc="Field notes")
    query: str = dspy.InputField()
    answer: str = dspy.OutputField()
    count: int = dspy.OutputField(desc="How many notes there are")


lm = DummyLM([
    {"reasoning": "Look at the data first.", "code": "```python\nprint(len(notes.split(';')))\n```"},
    {"reasoning": "Bad fence.", "code": "```bash\nls\n```"},
    {"reasoning": "Ask the sub-LM and the tool.", "code": "animal = llm_query('Which animal?')\ncolour = lookup(key='apple')\nprint(animal, colour)"},
    {"reasoning": "Wrong type first.", "code": "SUBMIT(answer='x', count='many')"},
    {"reasoning": "Done.", "code": "SUBMIT(colour, len(notes.split(';')))"},
    {"reasoning": "Explore only.", "code": "print(query)"},
    {"answer": "extracted", "count": "7"},
])
sub_lm = DummyLM([{"response": "fox"}])
dspy.configure(lm=lm)

rlm = dspy.RLM(Report, max_iters=6, tools=[lookup], sub_lm=sub_lm, interpreter_factory=ExecInterpreter)
first = rlm(notes="a fox; a dog; an apple", query="What colour is the apple?")
short = dspy.RLM("query -> answer, count: int", max_iters=1, interpreter_factory=ExecInterpreter)
second = short(query="How many?")
if len(sys.argv) > 1:
    rlm.save(sys.argv[1])
print(json.dumps({
    "first": [first.answer, first.count, first.final_reasoning, first.trajectory],
    "second": [second.answer, second.count, second.final_reasoning, second.trajectory],
    "predictors": [name for name, _ in rlm.named_predictors()],
    "messages": [entry["messages"] for entry in lm.history],
    "sub_messages": [entry["messages"] for entry in sub_lm.history],
}))
