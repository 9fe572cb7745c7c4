"""DSPy's ``ProgramOfThought`` (deprecated in DSPy 3.4 for ``RLM``): write Python, run it, answer from its output.

Three ``ChainOfThought`` predictors, as DSPy names them (each one's inner ``Predict`` a dspex
reference, so prompts, saved state and optimizers see DSPy's program): ``code_generate`` writes
code, ``code_regenerate`` repairs code that failed (up to ``max_iters`` attempts in all), and
``generate_output`` answers from the final code and its JSON output. Each call runs the code in a
fresh interpreter from the factory (``interpreter_factory``, else
``dspy.settings.interpreter_factory``, else ``PythonInterpreter``) that it shuts down afterwards, or
in a caller-owned interpreter passed as the first positional argument (left running).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._dspy_errors import format_error_for_lm
from dspex_compat._fields import InputField, OutputField
from dspex_compat._interpreter import (
    CodeExecutionError,
    FinalOutput,
    create_interpreter,
    validate_interpreter,
    validate_interpreter_factory,
)
from dspex_compat._module import Module
from dspex_compat._python_interpreter import PythonInterpreter
from dspex_compat._signature import Signature, ensure_signature

__all__ = ["ProgramOfThought"]

_CODE_DESC = "python code that answers the question"


def _logger() -> Any:
    import logging

    return logging.getLogger("dspy.predict.program_of_thought")


class ProgramOfThought(Module):
    """Run LM-written Python to solve a problem (DSPy's ``dspy.ProgramOfThought``; deprecated, prefer RLM)."""

    def __init__(self, signature: Any, max_iters: int = 3,
                 interpreter_factory: Callable[[], Any] = PythonInterpreter):
        super().__init__()
        import warnings

        warnings.warn("ProgramOfThought is deprecated and will be removed in 3.5. RLM is the preferred replacement.",
                      DeprecationWarning, stacklevel=2)
        validate_interpreter_factory(interpreter_factory)
        self.signature = signature = ensure_signature(signature)
        self.max_iters = max_iters
        self.input_fields = signature.input_fields
        self.output_fields = signature.output_fields
        self.code_generate = ChainOfThought(self._mode_signature("generate"))
        self.code_regenerate = ChainOfThought(self._mode_signature("regenerate"))
        self.generate_output = ChainOfThought(self._mode_signature("answer"))
        self._interpreter_factory = interpreter_factory

    def _mode_signature(self, mode: str) -> Any:
        """The signature of one predictor, with DSPy's instructions for its mode."""
        return Signature(self._generate_signature(mode).fields, self._generate_instruction(mode))

    def _generate_signature(self, mode: str) -> Any:
        """The original inputs, then the mode's own fields (DSPy's, field for field)."""
        fields = dict(self.input_fields)
        if mode == "generate":
            fields["generated_code"] = OutputField(desc=_CODE_DESC)
        elif mode == "regenerate":
            fields["previous_code"] = InputField(desc="previously-generated python code that errored")
            fields["error"] = InputField(desc="error message from previously-generated python code")
            fields["generated_code"] = OutputField(desc=_CODE_DESC)
        else:
            fields["final_generated_code"] = InputField(desc=_CODE_DESC)
            fields["code_output"] = InputField(desc="output of previously-generated python code")
            fields.update(self.signature.output_fields)
        return Signature(fields)

    def _generate_instruction(self, mode: str) -> str:
        """DSPy's instructions for a mode, byte for byte."""
        mode_signature = self._generate_signature(mode)
        mode_inputs = ", ".join(f"`{name}`" for name in mode_signature.input_fields)
        mode_outputs = ", ".join(f"`{name}`" for name in mode_signature.output_fields)
        final_outputs = ", ".join(f"`{name}`" for name in self.output_fields)
        if mode == "generate":
            lines = [
                f"You will be given {mode_inputs} and you will respond with {mode_outputs}.",
                f"Generating executable Python code that programmatically computes the correct {mode_outputs}.",
                "After you're done with the computation and think you have the final output, make sure to submit "
                "your output by calling the preloaded function `SUBMIT()`.",
                f'You must structure your output in a dict, like {{"field_a": value_a, ...}}, with the correct value '
                f"mapping for the field(s): {final_outputs}.",
            ]
        elif mode == "regenerate":
            lines = [
                f"You are given {mode_inputs} due to an error in previous code.",
                "Your task is to correct the error and provide the new `generated_code`.",
            ]
        else:
            lines = [f"Given the final code {mode_inputs}, provide the final {mode_outputs}."]
        return "\n".join(lines)

    def _parse_code(self, code_data: Any) -> tuple[str, str | None]:
        """The code block of a prediction's ``generated_code``, or an error for the LM to repair."""
        code = code_data.get("generated_code", "").split("---", 1)[0].split("\n\n\n", 1)[0]
        code_match = re.search(r"```python[ \n](.*?)[ \n]```?", code, re.DOTALL)
        code_block = code_match.group(1) if code_match else code
        if not code_block:
            return code, "Error: Empty code after parsing."
        if "\n" not in code_block and code_block.count("=") > 1:
            return code, "Error: Code format is not correct."
        last_line_match = re.match(r"^(\w+)\s*=", code_block.split("\n")[-1].strip())
        if last_line_match:  # an old-style program ends with an assignment: show that variable
            code_block += "\n" + last_line_match.group(1)
        return code_block, None

    def _execute_code(self, code: str, interpreter: Any) -> tuple[str | None, str | None]:
        """The code's result as JSON, or the error the code raised (for the LM to repair)."""
        import json

        if not code:
            return None, "Error: Empty code before execution."
        try:
            result = interpreter.execute(code)
            if isinstance(result, FinalOutput):
                result = result.output
            return json.dumps(result), None
        except (CodeExecutionError, SyntaxError) as exc:
            return None, format_error_for_lm(exc)

    @contextmanager
    def _interpreter_context(self, interpreter: Any) -> Iterator[Any]:
        """The caller's interpreter as is, or a fresh one from the factory, shut down afterwards."""
        if interpreter is not None:
            validate_interpreter(interpreter)
            yield interpreter
            return
        created = create_interpreter(self._interpreter_factory)
        try:
            yield created
        finally:
            created.shutdown()

    def forward(self, interpreter: Any = None, /, **kwargs: Any) -> Any:
        """Generate, run (repairing failed code up to ``max_iters`` attempts) and answer.

        A caller-owned interpreter goes first, positionally (the caller shuts it down); ``kwargs``
        are the signature's inputs.
        """
        if "interpreter" in kwargs and "interpreter" not in self.input_fields:
            raise TypeError(
                "To use a caller-owned interpreter, pass it as the first positional argument when calling the module.")
        with self._interpreter_context(interpreter) as interpreter:
            input_kwargs = {name: kwargs[name] for name in self.input_fields}
            code_data = self.code_generate(**input_kwargs)
            output = None
            code, error = self._parse_code(code_data)
            if not error:
                output, error = self._execute_code(code, interpreter)
            hop = 1
            while error is not None:
                _logger().error(f"Error in code execution: {error}")
                if hop == self.max_iters:
                    raise RuntimeError(f"Max hops reached. Failed to run ProgramOfThought: {error}")
                input_kwargs.update({"previous_code": code, "error": error})
                code_data = self.code_regenerate(**input_kwargs)
                code, error = self._parse_code(code_data)
                if not error:
                    output, error = self._execute_code(code, interpreter)
                hop += 1
            input_kwargs.update({"final_generated_code": code, "code_output": output})
            return self.generate_output(**input_kwargs)
