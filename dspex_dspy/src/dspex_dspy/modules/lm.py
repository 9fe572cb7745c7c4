"""``lm`` through ``dspy.LM``: a direct LM call, ``dspy.LM(model)(messages=[...], **settings)``.

``create(lm=..., config={...})`` keeps the LM (else the configured one is used at call time) and
default settings; a call sends ``messages`` (or ``prompt`` as one user message, the core's rule:
``dspex_core.backend.lm_call_rules``) with the settings of ``config`` as dspy's keyword arguments,
and returns ``Prediction(outputs=[...])``, what dspy's ``LM.__call__`` returned. dspy records the
call in its history (passed on to dspex's by the backend's LMs); its usage is recorded in dspex's
records as every call of this backend's is.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import Prediction, lm_call_rules, settings_rules
from dspex_core.errors import CapabilityError, InputError
from dspex_core.usage import record
from dspy.utils.exceptions import DSPyError
from dspy.utils.usage_tracker import track_usage

from dspex_dspy import store
from dspex_dspy._base import DspyImplementation
from dspex_dspy._context import resolve_lm
from dspex_dspy._errors import raise_translated
from dspex_dspy._observe import context_settings
from dspex_dspy.translate import to_dspy_lm


class LMCallImpl(DspyImplementation):
    """``create(lm=, config=)``; a call: ``{"messages": [...]}`` or ``{"prompt": "..."}``, ``lm=``, ``config=``."""

    module_type = "lm"
    has_state = False  # the stored object is the configuration: the LM and default settings
    unwrappable = False

    def create(self, spec: Any = None, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"lm takes no spec (got {spec!r:.80}); use create('lm', lm=..., config={{...}})")
        lm_call_rules.check_options("lm", options)
        lm = options.get("lm")
        if lm is not None:
            to_dspy_lm(lm)  # a bad lm= fails at create time
        config = dict(settings_rules.check_settings("lm", options.get("config") or {}))
        return store.put(self.module_type, {"config": config}, meta={"lm": lm, "inputs": None})

    def _call(self, state: str, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[Any, tuple, dict]:
        """``(dspy LM, positional arguments, keyword arguments)`` of the call: a prompt is passed
        as DSPy's ``lm(prompt)`` (dspy sends it as one user message; no warning about messages=)."""
        stored, meta = store.entry(state)
        if options:
            lm_call_rules.check_options("lm (call)", options)
        lm_call_rules.messages_of(inputs)  # the core's checks
        request = dict(stored["config"])
        if options.get("config"):
            request.update(settings_rules.check_settings("lm (call)", options["config"]))
        if "prompt" in inputs:
            return resolve_lm(options.get("lm"), meta["lm"]), (inputs["prompt"],), request
        return resolve_lm(options.get("lm"), meta["lm"]), (), {"messages": inputs["messages"], **request}

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        lm, args, kwargs = self._call(state, inputs, options)
        try:
            with dspy.context(**context_settings()), track_usage() as tracker:
                outputs = lm(*args, **kwargs)
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise
        return _recorded(outputs, tracker)

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        lm, args, kwargs = self._call(state, inputs, options)
        try:
            with dspy.context(**context_settings()), track_usage() as tracker:
                outputs = await lm.acall(*args, **kwargs)
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise
        return _recorded(outputs, tracker)

    def describe(self, state: str) -> dict[str, Any]:
        stored, meta = store.entry(state)
        lm = meta["lm"]
        return {"module_id": state, "lm": getattr(lm, "model", None if lm is None else type(lm).__name__),
                "config": dict(stored["config"]), "inputs": ["messages"], "outputs": ["outputs"]}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("lm has no learned state to save (it is a direct LM call)")


def _recorded(outputs: Any, tracker: Any) -> Prediction:
    """``Prediction(outputs=...)``, the call's usage recorded in dspex's records."""
    for model, entry in tracker.get_total_tokens().items():
        record(model, entry)
    return Prediction(outputs=list(outputs))


implementation = LMCallImpl()
