"""``PredictorImplementation``: ``predict`` and ``chain_of_thought``, the module types a saved
DSPy program can be loaded as.

Both build one dspy predictor class from a signature with demos, instructions and LM settings,
and both load a saved state more strictly than :class:`~dspex_dspy._base.DspyImplementation`:
the state may come from a file plain DSPy wrote, so its field count is checked (dspy does not
check it), the saved LM is dropped (dspex passes the LM per call and a file never carries keys)
and the saved demos win over ``demos=``. Where the predictor's state sits in a saved program
(``""``: the top level, ``"predict"``: under that key) and which fields the module type adds
(``reasoning``) come from the module-type table.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import module_type as table_row, settings_rules
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos
from dspex_dspy.translate import coerce_signature, from_dspy_signature

#: Request settings ``create`` accepts and passes to dspy as the predictor's config.
LM_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "num_generations", "response_format",
})


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


class PredictorImplementation(DspyImplementation):
    """One dspy predictor class (``dspy_class_name``): create options ``demos``, ``instructions``,
    ``adapter`` and LM settings."""

    #: the dspy class built, an attribute of ``dspy``
    dspy_class_name: str = ""
    streams = True
    create_options = frozenset({"demos", "instructions", "config"}) | LM_SETTINGS
    optional_inputs = True  # DSPy's Predict leaves an Optional input it was not given out of the prompt
    extra_inputs = frozenset({"prediction"})  # OpenAI's predicted outputs, which dspy moves into the request
    renders = True

    def build(self, spec: Any, *, demos: Any = None, instructions: str | None = None, config: Any = None,
              **settings: Any) -> Any:
        """``config={...}`` adds LM settings to those given as options (as native ``create`` takes
        them); all are checked by the core's rule (``temperature="hot"``, ``n=0``)."""
        if config is not None:
            settings.update(settings_rules.check_settings(self.module_type, config))
        settings_rules.check_settings(self.module_type, settings)
        module = getattr(dspy, self.dspy_class_name)(build_signature(spec, instructions), **settings)
        if demos is not None:
            set_demos(module, demos)
        return module

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        """A stored dspy module for ``spec`` with a saved state applied by dspy's own ``load_state``
        (``spec`` is what ``create`` takes: without ``reasoning`` for chain_of_thought)."""
        if spec is None:
            raise InputError("load_state needs the module's signature, e.g. 'question -> answer'")
        row = table_row(self.module_type)
        inner = predictor_state(state_dict, self.module_type,
                                len(coerce_signature(spec).fields) + len(row.extra_outputs))
        options = {k: v for k, v in options.items() if k != "demos"}  # the saved demos win
        return super().load_state(spec, {row.saved_predictor: inner} if row.saved_predictor else inner, **options)

    def dspex_metadata(self, module: Any) -> dict[str, Any]:
        """Module type and signature (types included, ``reasoning`` left out), as native save writes."""
        from dspex_core.programs import metadata_for

        where = table_row(self.module_type).saved_predictor
        predictor = getattr(module, where) if where else module
        return metadata_for(self.module_type, from_dspy_signature(predictor.signature))
