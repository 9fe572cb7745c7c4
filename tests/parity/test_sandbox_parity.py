"""The native sandbox against DSPy's: the same code gives the same result, output or error text.

ProgramOfThought quotes what the interpreter returns (as JSON) and its error text to the LM,
so native's ``PyodideInterpreter`` must answer exactly as DSPy's ``PythonInterpreter`` (here
the dspy backend's ``SandboxedInterpreter``: DSPy's runner, Deno + Pyodide) for the same code,
including the quirks: a dict result comes back as ``{}`` (Pyodide's ``toJs`` makes it a
``Map``), an exception's ``args`` travel through JSON, a result too big for JSON reports the
*previous* exception's arguments, and an error that cannot be reported ends the session.

One session per side is shared by a test (starting one takes a second or two), and both run
the same code in the same order, so their state stays in step; a session that ended is
started again on both sides.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspex_native.sandbox.interpreter import PyodideInterpreter
from dspex_native.sandbox.results import CodeExecutionError, FinalOutput, SandboxError
from dspex_native.sandbox.runtime import RUNNER, pyodide_version

dspy = pytest.importorskip("dspy")
from dspex_dspy.sandbox import SandboxedInterpreter, runner_path  # noqa: E402
from dspy.primitives.code_interpreter import CodeExecutionError as DspyCodeExecutionError  # noqa: E402
from dspy.primitives.code_interpreter import CodeInterpreterError  # noqa: E402
from dspy.primitives.code_interpreter import FinalOutput as DspyFinalOutput  # noqa: E402


def outcome(run, code):
    """What ProgramOfThought makes of one execution: ('output', json text), ('error', text)
    or ('ended',) when the session broke."""
    try:
        result = run(code)
    except (CodeExecutionError, DspyCodeExecutionError, SyntaxError) as exc:
        return ("error", str(exc))
    except (SandboxError, CodeInterpreterError) as exc:
        if isinstance(exc, DspyCodeExecutionError):  # pragma: no cover - caught above
            raise
        return ("ended",)
    if isinstance(result, (FinalOutput, DspyFinalOutput)):
        return ("final", json.dumps(result.output))
    return ("output", json.dumps(result))


class Pair:
    """A DSPy session and a native one, restarted together when a session ends."""

    def __init__(self):
        self.dspy = self.native = None
        self.restart()

    def restart(self):
        self.close()
        self.dspy, self.native = SandboxedInterpreter(), PyodideInterpreter()

    def run(self, code):
        theirs = outcome(self.dspy.execute, code)
        mine = outcome(self.native.execute, code)
        if theirs == ("ended",) or mine == ("ended",):
            self.restart()
        return mine, theirs

    def close(self):
        for session in (self.dspy, self.native):
            if session is not None:
                session.shutdown()


@pytest.fixture(scope="module")
def pair():
    sessions = Pair()
    yield sessions
    sessions.close()


def test_both_runners_load_the_same_pyodide():
    """They share Deno's cache (one install step serves both) and must run the same CPython."""
    theirs = re.search(r'npm:pyodide@([0-9][^"/]*)', Path(runner_path()).read_text(encoding="utf-8")).group(1)
    assert theirs == pyodide_version()
    assert f'"npm:pyodide@{pyodide_version()}"' in RUNNER.read_text(encoding="utf-8")


#: Code ProgramOfThought meets, run in this order in one session each: values, prints, errors
#: (with the state earlier snippets left), syntax errors, SUBMIT, imports that Pyodide lacks,
#: results JSON cannot carry, and code that breaks the session.
CORPUS = [
    "print(1 + 1)",
    "x = 6 * 7\nx",
    "x",
    "print('a', 'é', [1, 2])\nprint('日本語 🎉')",
    "print('a', end='')\n5",
    "{'a': 1, 'b': [1, 2.5, None]}",
    "[1, (2, 3), {'b': 2}, True, None, 1.0, float('nan'), float('inf')]",
    "(1, 2)",
    "{1, 2}",
    "b'abc'",
    "'text'",
    "None",
    "print('x')\nNone",
    "1e300 * 10",
    "0.1 + 0.2",
    "-0.0",
    "import math\nmath.pi",
    "def f():\n    return 1\nf",
    "class C:\n    pass\nC()",
    "import sys\nprint('to stderr', file=sys.stderr)",
    "1/0",
    "raise ValueError('bad', 3, 1.0, None, [1], {'k': 'v'})",
    "raise KeyError()",
    "raise RuntimeError",
    "undefined_name",
    "[][1]",
    "{}['missing']",
    "int('x')",
    "import numpy",
    "import pandas as pd\npd.DataFrame()",
    "import sqlite3",
    "def f(:\n    pass",
    "x = = 1",
    "  indented = 1",
    "print(x)",
    "SUBMIT({'answer': 42})",
    "SUBMIT({'a': [1, 2], 'b': 'é'})",
    "SUBMIT(2**70)",
    "SUBMIT(None)",
    "SUBMIT()",
    "def SUBMIT(v):\n    return ('mine', v)\nSUBMIT(1)",
    "del SUBMIT\nprint('gone')",
    "SUBMIT({'x': 1})",
    "json.dumps({'a': 1})",
    "sys.version_info[:2]",
    "import os\nsorted(k for k in os.environ)",
    "import os\nos.getcwd()",
    "import os\nsorted(os.listdir('/'))",
    "open('/etc/passwd').read()",
    "import subprocess\nsubprocess.run(['ls'])",
    "import socket\nsocket.create_connection(('127.0.0.1', 80))",
    "2**70",
    "print(sorted(k for k in dir() if not k.startswith('_')))",
    "async def main():\n    return 3\nawait main()",
    "import asyncio\nawait asyncio.sleep(0)\nprint('awaited')",
    "SUBMIT({1, 2})",
    "print('fresh session')",
    "2**70",
    "raise ValueError(float('nan'))",
    "print('last')",
]


def test_a_corpus_of_code_gives_identical_outcomes(pair):
    pair.restart()
    outcomes = [(code, *pair.run(code)) for code in CORPUS]
    assert [(code, mine, theirs) for code, mine, theirs in outcomes if mine != theirs] == []
    # the corpus is worth comparing: values, prints, SUBMIT, errors and ended sessions all occur
    assert {mine[0] for _, mine, _ in outcomes} == {"output", "final", "error", "ended"}


_KEYS = st.one_of(st.text(max_size=5), st.integers(-3, 3))
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=6,
)
FORMS = ["{v}", "print({v})", "print(repr({v}))", "SUBMIT({v})", "raise ValueError({v})", "result = {v}\nresult",
         "SUBMIT({{'answer': {v}}})", "raise KeyError({v})"]


def _literal(value):
    """Python source for ``value`` (nan and infinities spelled so that they evaluate)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(_literal(v) + ", " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


@settings(max_examples=max(20, settings.default.max_examples * 2), deadline=None)
@given(value=VALUES, form=st.sampled_from(FORMS))
def test_values_come_back_identically(pair, value, form):
    """Results, prints, SUBMIT values and exception arguments of every JSON-ish shape (big
    integers, nan, nested tuples and dicts with int keys included) travel alike."""
    mine, theirs = pair.run(form.format(v=_literal(value)))
    assert mine == theirs
