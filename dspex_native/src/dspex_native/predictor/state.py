"""A native predictor's state: what ``create`` returns and every call reads.

:class:`PredictState` holds the signature, demos, config (LM settings, as DSPy's
``Predict(**config)``), the module's LM and adapter, and the prompt parts precomputed from
them (the format and the demos' messages), so that a call only renders the user message.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import Signature

from dspex_native.adapters import get_format, json_format
from dspex_native.predictor.options import check_adapter, demo_list, lm_problem


class PredictState:
    """The state of a native predict module: its signature, demos, config and precomputed prompt parts."""

    __slots__ = ("module_type", "signature", "demos", "config", "lm", "adapter", "format", "demo_messages",
                 "_json_demo_messages")

    def __init__(self, module_type: str, signature: Signature, demos: list, config: dict, lm: Any, adapter: str):
        self.module_type = module_type
        self.signature = signature
        self.demos = demos
        self.config = config
        self.lm = lm
        self.adapter = adapter
        self.format = get_format(signature, "json" if adapter == "json" else "chat")
        self.demo_messages = tuple(self.format.demo_messages(demos))
        self._json_demo_messages: tuple | None = None

    def json_demo_messages(self) -> tuple:
        """The demos in JSON format (built on the first fallback only)."""
        if self._json_demo_messages is None:
            self._json_demo_messages = tuple(json_format(self.signature).demo_messages(self.demos))
        return self._json_demo_messages

    def __repr__(self) -> str:
        return (f"PredictState({self.module_type}, {self.signature.signature!r}, demos={len(self.demos)}, "
                f"adapter={self.adapter!r}, config={self.config!r})")


def build_state(module_type: str, signature: Signature, options: dict[str, Any], config: dict[str, Any]) -> PredictState:
    """The state of a ``module_type`` module for ``signature``, from checked module options and config."""
    adapter = check_adapter(module_type, options.get("adapter"))
    demos = demo_list(options.get("demos"), module_type)
    lm = options.get("lm")
    problem = lm_problem(lm, module_type)
    if problem is not None:
        raise problem
    return PredictState(module_type, signature, demos, config, lm, adapter)


def describe(state: PredictState) -> dict[str, Any]:
    """What the module is: signature, instructions, demos, config, adapter."""
    return {
        "backend": "native",
        "module_type": state.module_type,
        "signature": state.signature.signature,
        "instructions": state.signature.instructions,
        "inputs": list(state.signature.input_fields),
        "outputs": list(state.signature.output_fields),
        "demos": [dict(d) for d in state.demos],
        "config": dict(state.config),
        "adapter": state.adapter,
        "lm": repr(state.lm) if state.lm is not None else None,
    }
