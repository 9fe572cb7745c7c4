"""A native ReAct agent's state: what ``create`` returns and every call reads.

It holds the module's signature, its tools by name (``finish`` last), ``max_iters``, and its two
predictors' states (:class:`~dspex_native.predictor.state.PredictState`, with their prompt parts
precomputed), so that a call only formats the trajectory and renders the user messages.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Signature

from dspex_native.predictor.options import resolve_signature, split_options
from dspex_native.predictor.state import PredictState, build_state, describe as describe_predictor
from dspex_native.react.options import CREATE_EXTRA, DEFAULT_MAX_ITERS, check_max_iters
from dspex_native.react.signatures import (REASONING, TRAJECTORY, check_fields, extract_signature, finish_tool,
                                            react_signature)
from dspex_native.tools import Tool, build_tools

MODULE_TYPE = "react"
#: Where DSPy's ``ReAct`` keeps its predictors (``named_predictors()``), in its order.
REACT, EXTRACT = "react", "extract.predict"


class ReActState:
    """The state of a native react module (see the module docstring)."""

    __slots__ = ("module_type", "signature", "tools", "max_iters", "react", "extract", "lm", "input_names")

    def __init__(self, signature: Signature, tools: dict[str, Tool], max_iters: int, react: PredictState,
                 extract: PredictState):
        self.module_type = MODULE_TYPE
        self.signature = signature
        self.tools = tools
        self.max_iters = max_iters
        self.react = react
        self.extract = extract
        self.lm = react.lm
        self.input_names = tuple(signature.input_fields)

    def predictors(self) -> dict[str, PredictState]:
        """The two predictors by DSPy's names."""
        return {REACT: self.react, EXTRACT: self.extract}

    def __repr__(self) -> str:
        return (f"ReActState({self.signature.signature!r}, tools={list(self.tools)}, max_iters={self.max_iters}, "
                f"adapter={self.react.adapter!r}, config={self.react.config!r})")


def create(spec: Any, options: Mapping[str, Any]) -> ReActState:
    """An agent for ``spec`` and the create options (see :mod:`dspex_native.react.options`)."""
    module_opts, config = split_options(MODULE_TYPE, dict(options), CREATE_EXTRA)
    signature = resolve_signature(spec, module_opts.get("instructions"), MODULE_TYPE)
    check_fields(signature)
    max_iters = check_max_iters(module_opts.get("max_iters", DEFAULT_MAX_ITERS))
    tools = build_tools(module_opts.get("tools"), MODULE_TYPE)
    tools.append(finish_tool(signature))
    predictor_opts = {"lm": module_opts.get("lm"), "adapter": module_opts.get("adapter"),
                      "demos": module_opts.get("demos")}
    return assemble(signature, tools, max_iters, predictor_opts, config)


def assemble(signature: Signature, tools: list[Tool], max_iters: int, predictor_opts: Mapping[str, Any],
             config: Mapping[str, Any], react_sig: Signature | None = None, extract_sig: Signature | None = None,
             demos: Mapping[str, Any] | None = None) -> ReActState:
    """The state from its parts; a loaded program passes its predictors' signatures and demos."""
    react_sig = react_sig if react_sig is not None else react_signature(signature, tools)
    extract_sig = extract_sig if extract_sig is not None else extract_signature(signature)
    demos = demos or {}
    shared_demos = predictor_opts.get("demos")
    react = build_state(MODULE_TYPE, react_sig, {**predictor_opts, "demos": demos.get(REACT, shared_demos)},
                        dict(config))
    extract = build_state(MODULE_TYPE, extract_sig, {**predictor_opts, "demos": demos.get(EXTRACT, shared_demos)},
                          dict(config))
    return ReActState(signature, {tool.name: tool for tool in tools}, max_iters, react, extract)


def describe(state: ReActState) -> dict[str, Any]:
    """What the agent is: its signature, tools, ``max_iters`` and both predictors."""
    react = state.react
    return {
        "backend": "native",
        "module_type": state.module_type,
        "signature": state.signature.signature,
        "instructions": state.signature.instructions,
        "inputs": list(state.signature.input_fields),
        "outputs": [TRAJECTORY, REASONING, *state.signature.output_fields],
        "tools": [{"name": t.name, "desc": t.desc, "args": t.args} for t in state.tools.values()],
        "max_iters": state.max_iters,
        "predictors": {name: describe_predictor(predictor) for name, predictor in state.predictors().items()},
        "config": dict(react.config),
        "adapter": react.adapter,
        "lm": repr(react.lm) if react.lm is not None else None,
    }
