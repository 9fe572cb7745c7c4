"""``program_of_thought`` cases: a signature, ``max_iters``, and the code the LM writes.

The LM answers by step: a code step (``generate``/``regenerate``, whose outputs are ``reasoning``
and ``generated_code``) takes the next code reply, the answer step (its inputs include
``code_output``) the next answer reply, and a JSON retry of either gets that step's JSON reply.
Code replies are code that works (printing, a last expression, ``SUBMIT``), raises, cannot be
parsed, uses an earlier attempt's variables or reads an input (DSPy does not inject them), in
the reply formats DSPy accepts and rejects; some replies have no code at all. Code never breaks
the session (that is covered by tests/parity, at seconds per run).

Every run executes code in the backend's own default sandbox, a fresh session per call as users
get it: seconds per run on DSPy. So the kit runs few examples of this type (see
``_parity_runner.EXAMPLE_SHARE``), and a backend or reference whose sandbox cannot start is
reported as skipped with the reason and the install command (:func:`sandbox_problem`), never as
a pass.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import REASONING, inputs, replies, well_formed_replies
from dspex_core.testing._strategies_signatures import FieldSpec, SignatureSpec, signatures
from dspex_core.testing.conformance._module_case import ModuleCase, Queues, is_json_request

#: Field names the module's steps use: a signature may not take them.
RESERVED = ("generated_code", "previous_code", "error", "final_generated_code", "code_output")
#: What to run once a sandbox is missing, per backend of dspex's own.
INSTALL = {"native": "python -m dspex_native.sandbox", "dspy": "python -m dspex_dspy.sandbox"}

SOLVED = ["print(6 * 7)", "x = 6 * 7", "result = sum(range(10))\nresult", "{'a': [1, 2.5, None]}", "'text'",
          "print('é 日本 🎉')", "import json\nprint(json.dumps({'k': [1, 2]}))", "None", "(1, 2)"]
FAILING = ["1/0", "raise ValueError('bad', 3)", "undefined_name", "def f(:\n    pass", "previous = 5\n1/0", "[][0]"]
UNPARSEABLE = ["", "a = 1 = 2", "x = 1; y = 2"]
USES_STATE = ["print(previous)"]
FORMATS = ["{c}", "```python\n{c}\n```", "Here is the code:\n```python\n{c}\n```\nIt prints the answer.",
           "```python\n{c}\n``", "{c}\n---\nexplanation", "```\n{c}\n```"]
CODE = FieldSpec("generated_code", str, True, None)


def _step(messages: list[dict[str, Any]]) -> str:
    step = "answer" if "`code_output`" in messages[0]["content"] else "code"
    return step + "_json" if is_json_request(messages) else step


def chat(**fields: str) -> str:
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


class ProgramOfThoughtCase(ModuleCase):
    """One ``program_of_thought`` call; ``script`` maps each step to its replies."""

    def __init__(self, sig: SignatureSpec, inputs: dict[str, Any], script: dict[str, list[str]],
                 defaults: dict[str, str], create_options: dict[str, Any]):
        super().__init__("program_of_thought", inputs, create_options)
        self.sig = sig
        self.script_spec = script
        self.defaults = defaults

    def spec(self) -> Any:
        return self.sig.build()

    def script(self) -> Any:
        return Queues(_step, self.script_spec, self.defaults)

    def _repr_lines(self) -> list[str]:
        return [f"signature={self.sig!r},", "script={", *(f"  {k!r}: {v!r}," for k, v in self.script_spec.items()),
                "},"]


@st.composite
def code_bodies(draw: Any, sig: SignatureSpec) -> str:
    kind = draw(st.sampled_from(["submit", "solved", "solved", "failing", "unparseable", "state", "input"]))
    if kind == "submit":
        fields = ", ".join(f"{f.name!r}: {draw(st.sampled_from(['1', '2.5', repr('é'), '[1, 2]', 'None']))}"
                           for f in sig.outputs)
        return f"SUBMIT({{{fields}}})"
    if kind == "input":
        return f"print({sig.inputs[0].name})"
    return draw(st.sampled_from({"solved": SOLVED, "failing": FAILING, "unparseable": UNPARSEABLE,
                                 "state": USES_STATE}[kind]))


@st.composite
def code_replies(draw: Any, sig: SignatureSpec, malformed: bool = True) -> str:
    reply = draw(st.sampled_from(FORMATS)).format(c=draw(code_bodies(sig)))
    if malformed and draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["no markers here", f"[[ ## generated_code ## ]]\n{reply}"]))
    return chat(reasoning=draw(st.sampled_from(["Compute it.", "r", "Use Python.\nThen print."])),
                generated_code=reply)


@st.composite
def program_of_thought_cases(draw: Any, kinds: tuple[str, ...] = ("well_formed", "json", "malformed")
                             ) -> ProgramOfThoughtCase:
    """A :class:`ProgramOfThoughtCase`; the answer step's replies are of ``kinds``."""
    sig = draw(signatures().filter(lambda s: not any(f.name in RESERVED for f in (*s.inputs, *s.outputs))))
    max_iters = draw(st.integers(1, 3))
    malformed = "malformed" in kinds
    answer = [REASONING, *sig.outputs]
    script = {
        "code": [draw(code_replies(sig, malformed)) for _ in range(max_iters)],
        "code_json": [json.dumps({"reasoning": "r", "generated_code": draw(st.sampled_from(SOLVED + FAILING))})
                      for _ in range(max_iters)],
        "answer": [draw(replies(answer, kinds))],
        "answer_json": [draw(replies(answer, ("json",)))],
    }
    defaults = {"code": chat(reasoning="r", generated_code="print(1)"),
                "code_json": json.dumps({"reasoning": "r", "generated_code": "print(1)"}),
                "answer": draw(well_formed_replies(answer)), "answer_json": draw(replies(answer, ("json",)))}
    options: dict[str, Any] = {"max_iters": max_iters}
    if draw(st.integers(0, 3)) == 0:
        options["adapter"] = "json"
    return ProgramOfThoughtCase(sig, draw(inputs(sig)), script, defaults, options)


_PROBLEMS: dict[str, str | None] = {}


def sandbox_problem(backend: str) -> str | None:
    """Why ``backend``'s ``program_of_thought`` cannot run code here (``None``: it can), with the
    command that installs its sandbox; probed once per process by creating a module."""
    if backend not in _PROBLEMS:
        import dspex_core
        from dspex_core.testing._recording_lm import RecordingLM

        problem = None
        try:
            with dspex_core.session():
                dspex_core.create("program_of_thought", "question -> answer", implementation=backend,
                                  lm=RecordingLM())
        except dspex_core.CapabilityError as exc:
            problem = str(exc)
            if "python -m" not in problem:
                command = INSTALL.get(backend, "the backend's sandbox install step")
                problem += f" (install the sandbox: {command})"
        except Exception:  # noqa: BLE001 - another failure is the properties' to compare
            problem = None
        _PROBLEMS[backend] = problem
    return _PROBLEMS[backend]
