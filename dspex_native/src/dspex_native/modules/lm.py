"""The native ``lm`` module type: a direct LM call, as ``dspy.LM(model)(messages=[...], **settings)``.

``create(lm=..., config={...})`` keeps the LM (else the configured one is used at call time) and
default settings; ``execute({"messages": [...]} or {"prompt": "..."}, lm=..., config={...})`` sends
the messages through the LM's native client (:func:`dspex_native.lm.get_client`), so a direct
call has what every native call has: both engines' requests, retries, the cache, the timeout,
usage (``pred.get_lm_usage()``, ``dspex.track_usage()``) and a history entry. It returns
``Prediction(outputs=[...])``: the completions as dspy's ``LM.__call__`` returns them, strings, or
``{"text", "tool_calls"}`` dicts when the model called functions, ``{"text", "logprobs"}`` with
``logprobs=True`` (as dspy's own engine hands them on: :mod:`dspex_native.lm.logprobs`; on LiteLLM's
route that is a :class:`~dspex_core.errors.CapabilityError`).
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from dspex_core.backend import Implementation, Prediction, lm_call_rules, settings_rules
from dspex_core.config import settings as current_settings
from dspex_core.errors import CapabilityError, InputError

from dspex_native import _not_implemented
from dspex_native.lm import get_client
from dspex_native.lm.client import dspy_outputs
from dspex_native.predictor.options import lm_problem

NO_LM = ("no LM for this lm call; configure one: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), "
         "pass lm= to create(), or pass lm= to this call")


class LMCallState(NamedTuple):
    """What an ``lm`` module is: its LM (``None``: the configured one) and default settings."""

    lm: Any
    config: Mapping[str, Any]


class LMCallImplementation(Implementation):
    """``create(lm=, config=) -> LMCallState``; ``execute(state, {"messages"|"prompt"}, lm=, config=)``."""

    module_type = "lm"
    not_implemented = _not_implemented.LM_CALL

    def create(self, spec: Any = None, **options: Any) -> LMCallState:
        if spec is not None:
            raise InputError(f"lm takes no spec (got {spec!r:.80}); use create('lm', lm=..., config={{...}})")
        lm_call_rules.check_options("lm", options)
        lm = options.get("lm")
        problem = lm_problem(lm, "lm")
        if problem is not None:
            raise problem
        config = dict(settings_rules.check_settings("lm", options.get("config") or {}))
        return LMCallState(lm, config)

    async def acreate(self, spec: Any = None, **options: Any) -> LMCallState:
        return self.create(spec, **options)

    def execute(self, state: LMCallState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        client, messages, request = self._prepare(state, inputs, options)
        return Prediction(outputs=list(dspy_outputs(client(messages, **request))))

    async def aexecute(self, state: LMCallState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        client, messages, request = self._prepare(state, inputs, options)
        return Prediction(outputs=list(dspy_outputs(await client.acall(messages, **request))))

    def render(self, state: LMCallState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The request a call would send, without sending it (``ref.render``)."""
        client, messages, request = self._prepare(state, inputs, options)
        return client.render(messages, **request)

    def _prepare(self, state: LMCallState, inputs: Mapping[str, Any],
                 options: Mapping[str, Any]) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        if options:
            lm_call_rules.check_options("lm (call)", options)
        messages = lm_call_rules.messages_of(inputs)
        request = dict(state.config)
        if options.get("config"):
            request.update(settings_rules.check_settings("lm (call)", options["config"]))
        lm = options.get("lm")
        if lm is None:
            lm = state.lm if state.lm is not None else current_settings().lm
        if lm is None:
            raise InputError(NO_LM)
        try:
            client = get_client(lm)
        except InputError:
            problem = lm_problem(lm, "lm")
            if problem is None:
                raise
            raise problem from None
        return client, messages, request

    def describe(self, state: LMCallState) -> dict[str, Any]:
        lm = state.lm
        return {"lm": getattr(lm, "model", None if lm is None else type(lm).__name__), "config": dict(state.config),
                "inputs": ["messages"], "outputs": ["outputs"]}

    def save(self, state: LMCallState, path: Any) -> None:
        raise CapabilityError("lm has no learned state to save (it is a direct LM call)")

    def dump_state(self, state: LMCallState) -> dict[str, Any]:
        raise CapabilityError("lm has no learned state to dump")

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> LMCallState:
        raise CapabilityError("lm has no learned state to load")


implementation = LMCallImplementation()
