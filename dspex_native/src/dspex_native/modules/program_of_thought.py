"""The native ``program_of_thought`` module type: DSPy 3.4's ``ProgramOfThought``.

The LM writes Python code, the code runs in a sandbox (Pyodide in Deno, with no access to the
host: :mod:`dspex_native.sandbox`), failures go back to the LM up to ``max_iters`` times, and a
last step answers from the code's output; every request is the one DSPy sends. The machinery
is :mod:`dspex_native.code_generation`. Without Deno or Pyodide, ``create`` raises
:class:`~dspex_core.errors.CapabilityError` saying how to install them; code never runs outside
the sandbox unless the caller passes ``interpreter=`` (a factory) explicitly.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction

from dspex_native import _not_implemented
from dspex_native.predictor.rendering import first_request
from dspex_native.code_generation import loop, saved
from dspex_native.code_generation.signatures import REASONING
from dspex_native.code_generation.state import PREDICTORS, ProgramOfThoughtState, build


class ProgramOfThoughtImplementation(Implementation):
    """``program_of_thought``: ``create(signature, **options) -> ProgramOfThoughtState``."""

    module_type = "program_of_thought"
    # Every step is a native predictor, so what those do not build yet is not built here either.
    not_implemented = _not_implemented.PREDICT

    def create(self, spec: Any = None, **options: Any) -> ProgramOfThoughtState:
        return build(spec, options)

    def execute(self, state: ProgramOfThoughtState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return loop.execute(state, inputs, **options)

    async def aexecute(self, state: ProgramOfThoughtState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return await loop.aexecute(state, inputs, **options)

    def render(self, state: ProgramOfThoughtState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The code-writing step's request, without calling the LM (or starting the sandbox)."""
        return first_request(self.module_type, lambda: loop.execute(state, inputs, **options))

    def describe(self, state: ProgramOfThoughtState) -> dict[str, Any]:
        return {
            "backend": "native",
            "module_type": self.module_type,
            "signature": state.signature.signature,
            "instructions": state.signature.instructions,
            "inputs": list(state.signature.input_fields),
            "outputs": [REASONING, *state.signature.output_fields],
            "max_iters": state.max_iters,
            "interpreter": "sandboxed" if state.interpreter in (None, "sandboxed") else repr(state.interpreter),
            **({"sandbox_timeout": state.limits.timeout, "sandbox_memory_mb": state.limits.memory_mb}
               if state.limits is not None else {}),
            "predictors": {name: {"signature": step.signature.signature, "instructions": step.signature.instructions,
                                  "demos": [dict(demo) for demo in step.demos]}
                           for name, step in zip(PREDICTORS, state.steps)},
            "adapter": state.generate.adapter,
            "lm": repr(state.lm) if state.lm is not None else None,
        }

    def save(self, state: ProgramOfThoughtState, path: Any) -> None:
        saved.save(state, path)

    def dump_state(self, state: ProgramOfThoughtState) -> dict[str, Any]:
        """DSPy's ``ProgramOfThought.dump_state()``: the three predictors' states by attribute name."""
        return saved.dump_state(state)

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ProgramOfThoughtState:
        """A module for ``spec`` (with the create ``options``) with DSPy's saved state applied."""
        return saved.load_state(self.create(spec, **options), state_dict)


implementation = ProgramOfThoughtImplementation()
