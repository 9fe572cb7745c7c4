"""``program_of_thought`` modules in DSPy's saved-state format, both ways.

DSPy saves a ProgramOfThought as its three predictors' states under their attribute names
(``code_generate.predict``, ``code_regenerate.predict``, ``generate_output.predict``): each a
Predict's demos and signature (instructions, then a prefix and description per field, in
order). :func:`dump_state` writes exactly that, :func:`save` adds DSPy's ``metadata`` (and
``metadata.dspex``: the module type and signature, which DSPy ignores), and
:func:`load_state` applies such a state, saved by DSPy or by dspex, to a module created for
the same signature: prompts are then byte-identical to DSPy's after its ``load_state``.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_native.code_generation.state import MODULE_TYPE, PREDICTORS, ProgramOfThoughtState, with_steps
from dspex_native.predictor import dspy_state
from dspex_native.predictor.state import build_state


def dump_state(state: ProgramOfThoughtState) -> dict[str, Any]:
    """DSPy's ``ProgramOfThought.dump_state()``."""
    return {name: dspy_state.dump_state(step) for name, step in zip(PREDICTORS, state.steps)}


def save(state: ProgramOfThoughtState, path: Any) -> None:
    """Write DSPy's JSON state file (``module.save("x.json")``), loadable by plain DSPy."""
    import json
    from pathlib import Path

    from dspex_core.programs import metadata_for

    target = Path(path)
    if target.suffix != ".json":
        raise InputError(f"native modules save DSPy's JSON state; the path must end with .json, got {str(path)!r}")
    if not target.parent.is_dir():
        raise InputError(f"cannot save to {str(path)!r}: the folder {str(target.parent)!r} does not exist")
    data = dump_state(state)
    data["metadata"] = {"dependency_versions": {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}", "dspy": dspy_state.DSPY_VERSION,
        "cloudpickle": "3.1",
    }, "dspex": metadata_for(MODULE_TYPE, state.signature)}
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_state(created: ProgramOfThoughtState, state_dict: Mapping[str, Any]) -> ProgramOfThoughtState:
    """``created`` (a module made for the saved program's signature) with the saved state applied.

    Every predictor's state must be there (DSPy's ``load_state`` needs them all); keys other
    than those (``metadata``) are ignored. Saved demos replace the module's, as in DSPy.
    """
    if not isinstance(state_dict, Mapping):
        raise InputError(f"load_state needs the dict DSPy saved for the {MODULE_TYPE} module")
    missing = [name for name in PREDICTORS if not isinstance(state_dict.get(name), Mapping)]
    if missing:
        raise InputError(f"the saved state does not fit a {MODULE_TYPE}: it has no predictor state for "
                         f"{', '.join(missing)} (its keys: {', '.join(map(str, state_dict)) or 'none'})")
    steps = []
    for name, step in zip(PREDICTORS, created.steps):
        saved = state_dict[name]
        if not isinstance(saved.get("signature"), Mapping):
            raise InputError(f"the saved state of {name} has no 'signature'")
        signature = dspy_state.apply_signature_state(step.signature, saved["signature"])
        options = {"lm": step.lm, "adapter": None if step.adapter == "auto" else step.adapter,
                   "demos": saved.get("demos") or []}
        steps.append(build_state(step.module_type, signature, options, dict(step.config)))
    return with_steps(created, steps)
