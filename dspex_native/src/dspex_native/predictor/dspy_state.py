"""Native predictors in DSPy's saved-state format, both ways.

``save`` writes what ``dspy.Predict(...).save("x.json")`` (or ``dspy.ChainOfThought``'s, under
``"predict"``) writes, so plain DSPy can ``load`` it, plus ``metadata.dspex`` (module type and
signature string, which DSPy does not save and ignores on load) for ``dspex.load``;
``load_state`` rebuilds a native module from such a file's dict: demos, instructions and each
field's prefix and description, applied in DSPy's field order, so prompts stay byte-identical
to DSPy's after loading. Where a module type keeps its predictor's state in the file is the
module-type table's ``saved_predictor`` (``dspex_core.backend.module_types()``).
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from dspex_core.backend import Field, Signature, cleandoc, infer_prefix, module_type
from dspex_core.errors import InputError

from dspex_native.predictor.state import PredictState, build_state

DSPY_VERSION = "3.4.1"


def _fields_state(signature: Signature) -> list[dict[str, Any]]:
    out = []
    for name, field in signature.fields.items():
        out.append({
            "prefix": field.prefix if field.prefix is not None else infer_prefix(name) + ":",
            "description": field.desc if field.desc is not None else f"${{{name}}}",
        })
    return out


def _saved_predictor(name: str) -> str:
    row = module_type(name)
    return (row.saved_predictor if row is not None else None) or ""


def dump_state(state: PredictState) -> dict[str, Any]:
    """``dspy.Predict.dump_state()`` (or ``dspy.ChainOfThought``'s ``{"predict": ...}``)."""
    from dspex_native.adapters._values import jsonable

    body = {
        "traces": [],
        "train": [],
        "demos": [{k: jsonable(v) for k, v in demo.items()} for demo in state.demos],
        # dspy's signatures hold their instructions cleaned (inspect.cleandoc), and dump them so
        "signature": {"instructions": cleandoc(state.signature.instructions), "fields": _fields_state(state.signature)},
        "lm": None,
    }
    under = _saved_predictor(state.module_type)
    return {under: body} if under else body


def save(state: PredictState, path: Any) -> None:
    """Write DSPy's JSON state file (``module.save("x.json")``), loadable by plain DSPy."""
    from dspex_core.programs import metadata_for

    write(path, dump_state(state), metadata_for(state.module_type, state.signature))


def write(path: Any, data: dict[str, Any], dspex: dict[str, Any] | None = None) -> None:
    """Write a module's ``dump_state()`` as DSPy's ``module.save(path)`` does (with DSPy's
    ``metadata.dependency_versions``), plus ``metadata.dspex`` when given."""
    import json
    from pathlib import Path

    target = Path(path)
    if target.suffix != ".json":
        raise InputError(f"native modules save DSPy's JSON state; the path must end with .json, got {str(path)!r}")
    metadata: dict[str, Any] = {"dependency_versions": {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}", "dspy": DSPY_VERSION, "cloudpickle": "3.1",
    }}
    if dspex is not None:
        metadata["dspex"] = dspex
    target.write_text(json.dumps({**data, "metadata": metadata}, indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")


def load_state(implementation: Any, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> PredictState:
    """A module of ``implementation`` (the ``predict`` or ``chain_of_thought`` implementation,
    which passes itself) for ``spec``, with DSPy's saved state applied.

    ``state_dict`` is the dict DSPy saved for this module: a ``Predict``'s state, or a
    ``ChainOfThought``'s ``{"predict": {...}}``. ``options`` are create options (``lm``,
    ``adapter``, LM settings); saved demos replace any ``demos`` option.
    """
    if not isinstance(state_dict, Mapping):
        raise InputError("load_state needs the dict DSPy saved for the module")
    if "predict" in state_dict and "signature" not in state_dict:
        state_dict = state_dict["predict"]
    if "signature" not in state_dict:
        raise InputError("the saved state has no 'signature'; is it a dspy.Predict / ChainOfThought state?")
    base = implementation.create(spec, **{k: v for k, v in options.items() if k != "demos"})
    signature = apply_signature_state(base.signature, state_dict["signature"])
    demos = state_dict.get("demos") or []
    module_opts = {"lm": base.lm, "adapter": None if base.adapter == "auto" else base.adapter, "demos": demos,
                   "adapter_options": base.adapter_options}
    return build_state(base.module_type, signature, module_opts, dict(base.config))


def apply_signature_state(signature: Signature, saved: Mapping[str, Any]) -> Signature:
    """DSPy's ``Signature.load_state``: instructions, then prefix/description per field, in order."""
    fields = list(signature.fields.values())
    saved_fields = list(saved.get("fields") or [])
    updated: list[Field] = []
    for index, field in enumerate(fields):
        if index < len(saved_fields):
            item = saved_fields[index]
            field = Field(field.name, field.kind, field.annotation, item.get("description", field.desc),
                          item.get("prefix", field.prefix), field.type_given, field.extra)
        updated.append(field)
    inputs = {f.name: f for f in updated if f.kind == "input"}
    outputs = {f.name: f for f in updated if f.kind == "output"}
    instructions = saved.get("instructions", signature.instructions)
    if isinstance(instructions, str) and not cleandoc(instructions):
        # DSPy sets the saved text as it is, so an empty one stays empty (a blank signature's
        # instructions are dumped as ""); to a native signature "" means DSPy's default sentence,
        # and a blank text (which every adapter cleans to "") is the empty instructions
        instructions = " "
    return Signature.from_fields(inputs, outputs, instructions)
