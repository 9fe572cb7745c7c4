"""``react`` through ``dspy.ReAct``: reason and act with Python tools."""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos
from dspex_dspy._predictor import LM_SETTINGS
from dspex_dspy._tools import build_tools


class ReActImpl(DspyImplementation):
    """``dspy.ReAct``: ``create(signature, tools=[callables], max_iters=20, **lm_settings)``.

    LM settings given at create (``temperature``, ``max_tokens``, ...) become the config of both
    of the agent's predictors, as ``dspy.Predict(signature, **config)`` takes them (dspy.ReAct
    has no config of its own); the native backend does the same.
    """

    streams = True  # each step's thought and tool call, then the extraction's fields

    renders = True  # its first request, as dspy would send it (dspex_dspy._render)

    module_type = "react"
    create_options = frozenset({"tools", "max_iters", "instructions", "demos"}) | LM_SETTINGS
    call_options = frozenset({"config", "max_iters"})

    def build(self, spec: Any, *, tools: Any = None, max_iters: int = 20, instructions: str | None = None,
              demos: Any = None, **config: Any) -> Any:
        if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
            raise InputError(f"max_iters must be a positive integer, got {max_iters!r}")
        module = dspy.ReAct(build_signature(spec, instructions), tools=build_tools(tools), max_iters=max_iters)
        if config:
            for _, predictor in module.named_predictors():
                predictor.config.update(config)
        if demos is not None:
            set_demos(module, demos)
        return module


implementation = ReActImpl()
