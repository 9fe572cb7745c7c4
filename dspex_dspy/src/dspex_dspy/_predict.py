"""``predict`` and ``chain_of_thought`` through ``dspy.Predict`` / ``dspy.ChainOfThought``."""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy.translate import coerce_signature, to_dspy_demos, to_dspy_signature

#: Request settings ``create`` accepts and passes to dspy as the predictor's config.
LM_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "num_generations", "response_format",
})


def build_signature(spec: Any, instructions: str | None) -> type:
    """The dspy signature for a module: ``spec`` with ``instructions`` if given."""
    if spec is None:
        raise InputError("this module type needs a signature, e.g. 'question -> answer'")
    sig = coerce_signature(spec)
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InputError(f"instructions must be a string, got {type(instructions).__name__}")
        sig = sig.with_instructions(instructions)
    return to_dspy_signature(sig)


def set_demos(module: Any, demos: Any) -> None:
    """Give every predictor of ``module`` the demos (as DSPy's LabeledFewShot does)."""
    converted = to_dspy_demos(demos)
    for _, predictor in module.named_predictors():
        predictor.demos = list(converted)


def predictor_state(state_dict: Any, module_type: str, field_count: int) -> dict[str, Any]:
    """A saved ``dspy.Predict`` state made ready for ``Predict.load_state``.

    Accepts a Predict's state or a ChainOfThought's ``{"predict": {...}}``. The saved LM is
    dropped (dspex passes the LM per call, as the native backend does, and a file never
    carries keys), as is the file's ``metadata``. The field count must match the module's,
    which dspy itself does not check.
    """
    if not isinstance(state_dict, Mapping):
        raise InputError(f"load_state needs the dict dspy saved for the {module_type} module, "
                         f"got {type(state_dict).__name__}")
    inner = state_dict
    if "signature" not in inner and isinstance(inner.get("predict"), Mapping):
        inner = inner["predict"]
    saved_signature = inner.get("signature")
    if not isinstance(saved_signature, Mapping) or not isinstance(saved_signature.get("fields"), list):
        raise InputError("the saved state has no 'signature' with 'fields'; is it a dspy.Predict / ChainOfThought state?")
    if len(saved_signature["fields"]) != field_count:
        raise InputError(f"the saved state has {len(saved_signature['fields'])} field(s), the {module_type} module "
                         f"for this signature has {field_count}")
    inner = {k: v for k, v in inner.items() if k != "metadata"}
    inner["lm"] = None
    inner.setdefault("demos", [])
    return inner


class PredictImpl(DspyImplementation):
    """``dspy.Predict``: create options ``demos``, ``instructions``, ``adapter``, LM settings."""

    module_type = "predict"
    create_options = frozenset({"demos", "instructions"}) | LM_SETTINGS

    def build(self, spec: Any, *, demos: Any = None, instructions: str | None = None, **config: Any) -> Any:
        module = dspy.Predict(build_signature(spec, instructions), **config)
        if demos is not None:
            set_demos(module, demos)
        return module

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        """A stored dspy module for ``spec`` with a saved state applied by dspy's own ``load_state``
        (``spec`` is what ``create`` takes: without ``reasoning`` for chain_of_thought)."""
        options = {k: v for k, v in options.items() if k != "demos"}  # the saved demos win
        return self.load_saved_state(spec, self._wrap(state_dict, self._field_count(spec)), **options)

    def dspex_metadata(self, module: Any) -> dict[str, Any]:
        """Module type and signature (types included, ``reasoning`` left out), as native save writes."""
        from dspex_core.programs import metadata_for

        from dspex_dspy.translate import from_dspy_signature

        predictor = module.predict if self.module_type == "chain_of_thought" else module
        return metadata_for(self.module_type, from_dspy_signature(predictor.signature))

    def _field_count(self, spec: Any) -> int:
        from dspex_dspy.translate import coerce_signature

        if spec is None:
            raise InputError("load_state needs the module's signature, e.g. 'question -> answer'")
        return len(coerce_signature(spec).fields)

    def _wrap(self, state_dict: Any, field_count: int) -> dict[str, Any]:
        return predictor_state(state_dict, self.module_type, field_count)


class ChainOfThoughtImpl(PredictImpl):
    """``dspy.ChainOfThought``: a ``reasoning`` output field before the others."""

    module_type = "chain_of_thought"

    def create(self, spec: Any, **options: Any) -> str:
        unsupported = sorted({"rationale_field", "rationale_field_desc", "rationale_field_type"} & set(options))
        if unsupported:
            raise InputError(f"chain_of_thought does not support {', '.join(unsupported)} (the reasoning field is "
                             f"always `reasoning`, as in DSPy 3)")
        return super().create(spec, **options)

    def _wrap(self, state_dict: Any, field_count: int) -> dict[str, Any]:
        return {"predict": predictor_state(state_dict, self.module_type, field_count + 1)}  # + reasoning

    def build(self, spec: Any, *, demos: Any = None, instructions: str | None = None, **config: Any) -> Any:
        module = dspy.ChainOfThought(build_signature(spec, instructions), **config)
        if demos is not None:
            set_demos(module, demos)
        return module
