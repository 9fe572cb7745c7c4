"""The native ``predict`` module type: DSPy's ``Predict`` with DSPy-identical prompts.

``create`` resolves the signature, checks the options and precomputes the prompt parts (the
system message and the demos' messages, per adapter); ``execute`` renders the user message,
calls the LM, parses the reply and, when a chat reply cannot be parsed, retries once in
DSPy's JSON format, as ``dspy.ChatAdapter`` does (the machinery is :mod:`dspex_native.predictor`).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction, Signature, module_type as table_row

from dspex_native import _not_implemented
from dspex_native.predictor import call, dspy_state, streaming
from dspex_native.predictor.options import resolve_signature, split_options
from dspex_native.predictor.state import PredictState, build_state, describe as describe_state, with_demo_list


#: predict's and chain_of_thought's own create options besides every predictor's
_PREDICT_OPTIONS = frozenset({"adapter_options"})


class PredictImplementation(Implementation):
    """``predict``: ``create(signature, **options) -> PredictState``, ``execute(state, inputs, **options)``.

    ``chain_of_thought`` is this with another signature (:meth:`_signature`)."""

    module_type = "predict"
    not_implemented = _not_implemented.PREDICT_STEP

    def _signature(self, spec: Any, instructions: Any) -> Signature:
        return resolve_signature(spec, instructions, self.module_type)

    def create(self, spec: Any = None, **options: Any) -> PredictState:
        module_opts, config = split_options(self.module_type, options, _PREDICT_OPTIONS)
        signature = self._signature(spec, module_opts.get("instructions"))
        return build_state(self.module_type, signature, module_opts, config)

    async def acreate(self, spec: Any = None, **options: Any) -> PredictState:
        return self.create(spec, **options)  # no I/O: a worker thread would only cost time

    # ``execute(state, inputs, **options)`` is the predictor's call itself, not a method that
    # forwards to it: every frame and ``**options`` repacking shows on a call of a few µs.
    execute = staticmethod(call.execute)
    aexecute = staticmethod(call.aexecute)
    render = staticmethod(call.render)
    #: one completion read by the adapter, without a call (ref.parse)
    parse = staticmethod(call.parse)
    #: the call streamed: StreamChunk items as the reply arrives, then the Prediction (predictor.streaming)
    stream = staticmethod(streaming.stream)

    def describe(self, state: PredictState) -> dict[str, Any]:
        return describe_state(state)

    def named_predictors(self, state: PredictState) -> list[tuple[str, PredictState]]:
        """DSPy's ``named_predictors()``: a Predict is its own (``self``), a ChainOfThought's is its
        ``predict`` (where the module-type table says its predictor is saved). Refine names and hints
        the predictors of the module it wraps by these names."""
        row = table_row(self.module_type)
        return [((row.saved_predictor if row is not None else None) or "self", state)]

    def with_demos(self, state: PredictState, demos: Mapping[str, list[Any]]) -> PredictState:
        """A copy with its demos replaced (``demos`` by predictor name, as :meth:`named_predictors`
        names it): what an optimizer's ``predictor.demos = [...]`` is natively, without the saved
        state's round trip."""
        ((name, _),) = self.named_predictors(state)
        if name not in demos:
            return state
        return with_demo_list(state, demos[name])

    def save(self, state: PredictState, path: Any) -> None:
        dspy_state.save(state, path)

    def dump_state(self, state: PredictState) -> dict[str, Any]:
        """DSPy's ``dump_state()`` of the equivalent ``dspy.Predict`` / ``dspy.ChainOfThought``."""
        return dspy_state.dump_state(state)

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> PredictState:
        """A module rebuilt from DSPy's saved state (demos, instructions, field prefixes/descriptions)."""
        return dspy_state.load_state(self, spec, state_dict, **options)


implementation = PredictImplementation()
