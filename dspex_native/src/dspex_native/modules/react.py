"""The native ``react`` module type: DSPy's ``ReAct`` agent, with DSPy-identical requests.

``create(signature, tools=[...], max_iters=20, ...)`` checks the tools and builds the agent's
two predictors (``react`` and the ``extract`` ChainOfThought) with their prompt parts
precomputed; ``execute`` runs DSPy's loop around the LM: the same requests in the same order,
the same trajectory, the same prediction (``trajectory``, ``reasoning``, the outputs).
The machinery is :mod:`dspex_native.react` and :mod:`dspex_native.tools`.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from dspex_core.backend import Implementation, Prediction

from dspex_native import _not_implemented
from dspex_native.predictor.rendering import first_request
from dspex_native.react import loop, saved
from dspex_native.react.state import ReActState, create, describe as describe_state


class ReActImplementation(Implementation):
    """``react``: ``create(signature, tools=[...], max_iters=20, **options) -> ReActState``,
    ``execute(state, inputs, lm=, config=, max_iters=)``."""

    module_type = "react"
    not_implemented = _not_implemented.REACT

    def create(self, spec: Any = None, **options: Any) -> ReActState:
        return create(spec, options)

    async def acreate(self, spec: Any = None, **options: Any) -> ReActState:
        return self.create(spec, **options)  # no I/O: a worker thread would only cost time

    def execute(self, state: ReActState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return loop.run(state, inputs, options)

    async def aexecute(self, state: ReActState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return await loop.arun(state, inputs, options)

    def stream(self, state: ReActState, inputs: Mapping[str, Any], **options: Any) -> Iterator[Any]:
        """Each step's thought, tool name and arguments as they arrive, the extraction's fields, then
        the Prediction (:mod:`dspex_native.react.streaming`)."""
        from dspex_native.react import streaming

        return streaming.stream(state, inputs, options)

    def render(self, state: ReActState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The first step's request (the ``react`` predictor, empty trajectory), without calling the LM."""
        return first_request(self.module_type, lambda: loop.run(state, inputs, options))

    def describe(self, state: ReActState) -> dict[str, Any]:
        return describe_state(state)

    def named_predictors(self, state: ReActState) -> list[tuple[str, Any]]:
        """DSPy's ``named_predictors()`` of a ReAct: ``react`` and ``extract.predict`` (what a
        Refine around the agent names and hints)."""
        return list(state.predictors().items())

    def save(self, state: ReActState, path: Any) -> None:
        saved.save(state, path)

    def dump_state(self, state: ReActState) -> dict[str, Any]:
        """DSPy's ``dump_state()`` of the equivalent ``dspy.ReAct``: ``react`` and ``extract.predict``."""
        return saved.dump_state(state)

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ReActState:
        """An agent rebuilt from a saved ``dspy.ReAct`` state (pass the same ``tools=``)."""
        return saved.load_state(spec, state_dict, **options)


implementation = ReActImplementation()
