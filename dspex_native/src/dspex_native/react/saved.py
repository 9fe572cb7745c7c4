"""Native ReAct agents in DSPy's saved-state format, both ways.

``dspy.ReAct(...).dump_state()`` (and ``save("x.json")``) holds one entry per predictor, by
DSPy's names: ``react`` and ``extract.predict``, each a ``Predict`` state (demos, instructions,
each field's prefix and description). :func:`dump_state` and :func:`save` write exactly that
(plus ``metadata.dspex``, which plain DSPy ignores), so plain DSPy loads a native agent;
:func:`load_state` applies such a state to an agent made with the same signature and tools, so
a native agent runs an agent DSPy saved, with the same prompts. Tools are code, not state:
they are given again to ``load_state`` (``tools=[...]``), as DSPy needs them to build the
agent before loading.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from dspex_core.backend import cleandoc
from dspex_core.errors import InputError

from dspex_native.predictor import dspy_state
from dspex_native.react.state import EXTRACT, REACT, ReActState, assemble, create


def dump_state(state: ReActState) -> dict[str, Any]:
    """``dspy.ReAct.dump_state()`` of the equivalent DSPy agent."""
    out = {}
    for name, predictor in state.predictors().items():
        body = dspy_state.dump_state(predictor)
        signature = dict(body["signature"])
        signature["instructions"] = cleandoc(signature["instructions"])  # DSPy dumps them as it reads them
        body["signature"] = signature
        out[name] = body
    return out


def save(state: ReActState, path: Any) -> None:
    """Write DSPy's JSON state file of the agent (``module.save("x.json")``), loadable by plain DSPy."""
    import json
    from pathlib import Path

    from dspex_core.programs import metadata_for

    target = Path(path)
    if target.suffix != ".json":
        raise InputError(f"native modules save DSPy's JSON state; the path must end with .json, got {str(path)!r}")
    if not target.parent.exists():
        raise InputError(f"cannot save to {str(path)!r}: the folder {str(target.parent)!r} does not exist")
    data: dict[str, Any] = dump_state(state)
    data["metadata"] = {"dependency_versions": {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}", "dspy": dspy_state.DSPY_VERSION,
        "cloudpickle": "3.1",
    }, "dspex": metadata_for(state.module_type, state.signature)}
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_state(spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ReActState:
    """An agent for ``spec`` and the create ``options`` (``tools=`` included), with a saved
    ``dspy.ReAct`` state applied: each predictor's demos, instructions and field prefixes and
    descriptions, in DSPy's field order. Saved demos replace any ``demos`` option."""
    if not isinstance(state_dict, Mapping):
        raise InputError("load_state needs the dict DSPy saved for the ReAct module")
    missing = [name for name in (REACT, EXTRACT) if not isinstance(state_dict.get(name), Mapping)]
    if missing:
        found = ", ".join(repr(k) for k in state_dict if k != "metadata") or "none"
        raise InputError(f"the saved state does not fit a react module: it has no {' or '.join(map(repr, missing))} "
                         f"predictor (a dspy.ReAct saves 'react' and 'extract.predict'); keys: {found}")
    base = create(spec, {k: v for k, v in options.items() if k != "demos"})
    signatures, demos = {}, {}
    for name, predictor in base.predictors().items():
        saved = state_dict[name]
        if not isinstance(saved.get("signature"), Mapping):
            raise InputError(f"the saved state of the {name!r} predictor has no 'signature'")
        signatures[name] = dspy_state.apply_signature_state(predictor.signature, saved["signature"])
        demos[name] = list(saved.get("demos") or [])
    react = base.react
    predictor_opts = {"lm": react.lm, "adapter": None if react.adapter == "auto" else react.adapter}
    return assemble(base.signature, list(base.tools.values()), base.max_iters, predictor_opts, react.config,
                    react_sig=signatures[REACT], extract_sig=signatures[EXTRACT], demos=demos)
