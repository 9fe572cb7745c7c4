"""ProgramOfThought: generated code that fails and is repaired, a parse error, old-style code, several
outputs, a caller-owned interpreter, the interpreter callbacks and the saved state of the three predictors.

The interpreter runs code with exec (it is no sandbox) and reports its start/execute/shutdown to
DSPy's interpreter callbacks.
"""

import contextlib
import io
import json
import sys
import warnings

import dspy
from dspy.primitives.code_interpreter import CodeExecutionError, FinalOutput
from dspy.utils import DummyLM
from dspy.utils.callback import BaseCallback, with_callbacks


class _Submitted(Exception):
    pass


class ExecInterpreter:
    """Runs code with exec in one namespace per session; SUBMIT ends the run."""

    def __init__(self):
        self.tools = {}
        self.namespace = {}

    @with_callbacks
    def start(self):
        pass

    @with_callbacks
    def execute(self, code, variables=None):
        def SUBMIT(*args, **kwargs):  # noqa: N802 - the name the prompt gives it
            raise _Submitted(args[0] if args else kwargs)

        self.namespace.update(variables or {})
        self.namespace["SUBMIT"] = SUBMIT
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "<pot>", "exec"), self.namespace)  # noqa: S102 - the test's own code
        except _Submitted as submitted:
            return FinalOutput(submitted.args[0])
        except SyntaxError:
            raise
        except Exception as exc:  # noqa: BLE001 - the LM is shown the error
            raise CodeExecutionError(f"{type(exc).__name__}: {exc}") from exc
        last = code.strip().split("\n")[-1]
        return self.namespace[last] if last.isidentifier() else out.getvalue()

    @with_callbacks
    def shutdown(self):
        pass


class Recorder(BaseCallback):
    def __init__(self):
        self.events = []

    def on_module_start(self, call_id, instance, inputs):
        self.events.append(["module_start", type(instance).__name__])

    def on_interpreter_execute_start(self, call_id, instance, inputs):
        self.events.append(["execute_start", inputs])

    def on_interpreter_execute_end(self, call_id, outputs, exception):
        self.events.append(["execute_end", repr(outputs), repr(exception)])

    def on_interpreter_startup_start(self, call_id, instance, inputs):
        self.events.append(["startup_start", inputs])

    def on_interpreter_shutdown_start(self, call_id, instance, inputs):
        self.events.append(["shutdown_start", inputs])

    def on_interpreter_shutdown_end(self, call_id, outputs, exception):
        self.events.append(["shutdown_end", repr(outputs), repr(exception)])


class Extremes(dspy.Signature):
    """Find the extremes of the numbers."""

    numbers: str = dspy.InputField(desc="Comma-separated numbers")
    maximum: int = dspy.OutputField(desc="The maximum of the given numbers")
    minimum: int = dspy.OutputField()


lm = DummyLM([
    {"reasoning": "Divide.", "generated_code": "```python\nresult = 1+0/0\nSUBMIT({'answer': result})\n```"},
    {"reasoning": "Bad format.", "generated_code": "```python\ninvalid=python=code\n```"},
    {"reasoning": "Fixed.", "generated_code": "```python\nresult = 1+1\nSUBMIT({'answer': result})\n```"},
    {"reasoning": "From the output.", "answer": "2"},
    {"reasoning": "Old style.", "generated_code": "```python\nvalues = [2, 3, 5, 6]\n"
                                                  "pair = {'maximum': max(values), 'minimum': min(values)}\n```"},
    {"reasoning": "Read the pair.", "maximum": "6", "minimum": "2"},
])
recorder = Recorder()
dspy.configure(lm=lm, callbacks=[recorder])

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    pot = dspy.ProgramOfThought("question -> answer", max_iters=3, interpreter_factory=ExecInterpreter)
first = pot(question="What is 1+1?")
extremes = dspy.ProgramOfThought(Extremes, interpreter_factory=ExecInterpreter)
owned = ExecInterpreter()
second = extremes(owned, numbers="2, 3, 5, 6")
owned_state = sorted(key for key in owned.namespace if not key.startswith("__"))

failing = dspy.ProgramOfThought("question -> answer", max_iters=1, interpreter_factory=ExecInterpreter)
failing.code_generate = lambda **kwargs: dspy.Prediction(generated_code="x = y = z = 1")
try:
    failing(question="?")
    error = None
except RuntimeError as exc:
    error = str(exc)

if len(sys.argv) > 1:
    pot.save(sys.argv[1])
print(json.dumps({
    "warnings": [str(w.message) for w in caught if w.category is DeprecationWarning],
    "first": first.toDict(),
    "second": second.toDict(),
    "owned_state": owned_state,
    "error": error,
    "predictors": [name for name, _ in pot.named_predictors()],
    "signatures": [[p.signature.instructions, list(p.signature.fields)] for _, p in extremes.named_predictors()],
    "events": recorder.events,
    "messages": [entry["messages"] for entry in lm.history],
}))
