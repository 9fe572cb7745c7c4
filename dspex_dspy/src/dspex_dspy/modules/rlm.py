"""``rlm`` through ``dspy.RLM``: a recursive language model over long contexts.

The LM does not read the inputs in its prompt: it gets them as variables in the sandbox (Deno +
Pyodide) and writes code to look at them, slice them and ask a sub-LM about the pieces
(``llm_query``), until it calls ``FINAL`` with the outputs. ``sub_lm`` is the LM those sub-queries
use (default: the module's LM).
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos
from dspex_dspy._interpreter import OPTIONS, interpreter_factory, positive
from dspex_dspy._tools import build_tools
from dspex_dspy.translate import to_dspy_lm


class RLMImpl(DspyImplementation):
    """``dspy.RLM``: ``create(signature, max_iters=20, max_llm_calls=50, max_output_chars=10000,
    verbose=False, tools=None, sub_lm=None, interpreter=None, sandbox_timeout=...,
    sandbox_memory_mb=..., instructions=, demos=)``. Returns the outputs with ``trajectory`` (each
    step's reasoning, code and output) and ``final_reasoning``."""

    module_type = "rlm"
    create_options = frozenset({"max_iters", "max_llm_calls", "max_output_chars", "verbose", "tools", "sub_lm",
                                "instructions", "demos"}) | OPTIONS
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, max_iters: int = 20, max_llm_calls: int = 50, max_output_chars: int = 10_000,
              verbose: bool = False, tools: Any = None, sub_lm: Any = None, interpreter: Any = None,
              instructions: str | None = None, demos: Any = None, **limit_options: Any) -> Any:
        for name, value in (("max_iters", max_iters), ("max_llm_calls", max_llm_calls),
                            ("max_output_chars", max_output_chars)):
            positive(self.module_type, name, value)
        if not isinstance(verbose, bool):
            raise InputError(f"rlm: verbose must be True or False, got {verbose!r}")
        signature = build_signature(spec, instructions)
        factory = interpreter_factory(self.module_type, interpreter, limit_options)
        try:
            module = dspy.RLM(signature, max_iters=max_iters, max_llm_calls=max_llm_calls,
                              max_output_chars=max_output_chars, verbose=verbose,
                              tools=build_tools(tools) if tools is not None else None,
                              sub_lm=to_dspy_lm(sub_lm) if sub_lm is not None else None,
                              interpreter_factory=factory)
        except ValueError as exc:  # dspy's checks of the signature and tools (reserved names, types)
            raise InputError(f"rlm: {exc}") from exc
        if demos is not None:
            set_demos(module, demos)
        return module


implementation = RLMImpl()
