"""DSPy's ``CodeAct`` (deprecated in DSPy 3.4 for ``RLM``): a ReAct loop whose actions are Python code.

Built as DSPy builds it, a ``ReAct`` and a ``ProgramOfThought`` at once: ``codeact`` (a ``Predict``,
a dspex reference) writes code given the trajectory, which runs in the interpreter (the tools'
source is defined there first) until the LM marks ``finished`` or ``max_iters`` steps; then
``extractor`` (a ``ChainOfThought``) answers from the trajectory, truncating it when the context
window overflows (ReAct's rule). The interpreter is made and shut down per call, or the caller's,
as in ``ProgramOfThought``.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from dspex_core import Prediction

from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._fields import InputField, OutputField
from dspex_compat._interpreter import validate_interpreter_factory
from dspex_compat._predict import Predict
from dspex_compat._program_of_thought import ProgramOfThought
from dspex_compat._python_interpreter import PythonInterpreter
from dspex_compat._react import ReAct
from dspex_compat._signature import Signature, ensure_signature
from dspex_compat._tool import Tool

__all__ = ["CodeAct"]


class CodeAct(ReAct, ProgramOfThought):
    """Solve a task by writing and running Python that may call ``tools`` (DSPy's ``dspy.CodeAct``; deprecated)."""

    def __init__(self, signature: Any, tools: list[Callable], max_iters: int = 5,
                 interpreter_factory: Callable[[], Any] = PythonInterpreter):
        import warnings

        warnings.warn("CodeAct is deprecated and will be removed in 3.5. RLM is the preferred replacement.",
                      DeprecationWarning, stacklevel=2)
        validate_interpreter_factory(interpreter_factory)
        self.signature = ensure_signature(signature)
        self.max_iters = max_iters
        self.history = []
        tools = [tool if isinstance(tool, Tool) else Tool(tool) for tool in tools]
        if any(not inspect.isfunction(tool.func) for tool in tools):
            raise ValueError("CodeAct only accepts functions and not callable objects.")
        tools = {tool.name: tool for tool in tools}
        code_desc = "Python code that when executed, produces output relevant to answering the question"
        codeact_signature = (
            Signature({**self.signature.input_fields}, "\n".join(self._build_instructions(self.signature, tools)))
            .append("trajectory", InputField(), type_=str)
            .append("generated_code", OutputField(desc=code_desc), type_=str)
            .append("finished", OutputField(desc="a boolean flag to determine if the process is done"), type_=bool))
        extract_signature = Signature({**self.signature.input_fields, **self.signature.output_fields},
                                      self.signature.instructions).append("trajectory", InputField(), type_=str)
        self.tools: dict[str, Tool] = tools
        self.codeact = Predict(codeact_signature)
        self.extractor = ChainOfThought(extract_signature)
        self._interpreter_factory = interpreter_factory

    def _build_instructions(self, signature: Any, tools: dict[str, Tool]) -> list[str]:
        """DSPy's instructions, byte for byte: the task's own, the agent's rules, then each tool."""
        instructions = [f"{signature.instructions}\n"] if signature.instructions else []
        inputs = ", ".join(f"`{name}`" for name in signature.input_fields)
        outputs = ", ".join(f"`{name}`" for name in signature.output_fields)
        instructions.append(
            f"You are an intelligent agent. For each episode, you will receive the fields {inputs} as input.\n"
            "Your goal is to generate executable Python code that collects any necessary information for producing "
            f"{outputs}.\n"
            "For each iteration, you will generate a code snippet that either solves the task or progresses towards "
            "the solution.\n"
            "Ensure any output you wish to extract from the code is printed to the console. The code should be "
            "enclosed in a fenced code block.\n"
            f"When all information for producing the outputs ({outputs}) are available to be extracted, mark "
            "`finished=True` besides the final Python code.\n"
            "You have access to the Python Standard Library and the following functions:")
        instructions.extend(f"({index + 1}) {tool}" for index, tool in enumerate(tools.values()))
        return instructions

    def forward(self, interpreter: Any = None, /, **kwargs: Any) -> Prediction:
        """Define the tools in the interpreter, then write and run code until finished; extract the answer.

        A caller-owned interpreter goes first, positionally (the caller shuts it down).
        """
        if "interpreter" in kwargs and "interpreter" not in self.signature.input_fields:
            raise TypeError(
                "To use a caller-owned interpreter, pass it as the first positional argument when calling the module.")
        with self._interpreter_context(interpreter) as interpreter:
            for tool in self.tools.values():
                interpreter.execute(inspect.getsource(tool.func))
            trajectory: dict[str, Any] = {}
            max_iters = kwargs.pop("max_iters", self.max_iters)
            for idx in range(max_iters):
                code_data = self.codeact(trajectory=trajectory, **kwargs)
                code, error = self._parse_code(code_data)
                if error:
                    trajectory[f"observation_{idx}"] = f"Failed to parse the generated code: {error}"
                    continue
                trajectory[f"generated_code_{idx}"] = code
                output, error = self._execute_code(code, interpreter)
                if not error:
                    trajectory[f"code_output_{idx}"] = output
                else:
                    trajectory[f"observation_{idx}"] = f"Failed to execute the generated code: {error}"
                if code_data.finished:
                    break
            extract = self._call_with_potential_trajectory_truncation(self.extractor, trajectory, **kwargs)
            return Prediction(trajectory=trajectory, **extract)
