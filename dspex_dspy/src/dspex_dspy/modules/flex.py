"""``flex`` through ``dspy.Flex``: a module whose implementation is code GEPA can rewrite.

A Flex starts as one ``dspy.Predict`` over the signature (``dspy.RLM`` when it has tools), written
as the source of a ``dspy.Module``; ``gepa`` rewrites that source into predictors plus plain
Python. The source runs in the sandbox, and only predictor and tool calls come back to the host,
which makes the LM calls. Its saved state is that source (``module_src``), so a Flex optimized
once loads with its code.
"""

from __future__ import annotations

import warnings
from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature
from dspex_dspy._interpreter import OPTIONS, interpreter_factory, positive
from dspex_dspy._tools import build_tools


class FlexImpl(DspyImplementation):
    """``dspy.Flex``: ``create(signature, tools=None, max_predictor_calls=100, interpreter=None,
    sandbox_timeout=..., sandbox_memory_mb=..., instructions=)``. ``describe()`` shows the current
    ``module_src``."""

    module_type = "flex"
    create_options = frozenset({"tools", "max_predictor_calls", "instructions"}) | OPTIONS
    call_options = frozenset()

    def build(self, spec: Any, *, tools: Any = None, max_predictor_calls: int | None = 100, interpreter: Any = None,
              instructions: str | None = None, **limit_options: Any) -> Any:
        positive(self.module_type, "max_predictor_calls", max_predictor_calls, none_ok=True)
        signature = build_signature(spec, instructions)
        factory = interpreter_factory(self.module_type, interpreter, limit_options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Flex is marked experimental in DSPy 3.4
            try:
                return dspy.Flex(signature, tools=build_tools(tools) if tools is not None else None,
                                 interpreter_factory=factory, max_predictor_calls=max_predictor_calls)
            except (ValueError, TypeError) as exc:
                raise InputError(f"flex: {exc}") from exc

    def describe(self, state: str) -> dict[str, Any]:
        from dspex_dspy import store
        from dspex_dspy.translate import from_dspy_signature

        module = store.get(state)
        signature = from_dspy_signature(module.signature)
        return {"module_id": state, "dspy_class": "Flex", "signature": signature.signature,
                "inputs": list(signature.input_fields), "outputs": list(signature.output_fields),
                "module_src": module.module_src}


implementation = FlexImpl()
