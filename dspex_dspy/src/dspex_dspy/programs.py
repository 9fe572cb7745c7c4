"""Saving and loading programs in dspy's own JSON format, and describing them.

A program compiled through dspex is saved with dspy's ``module.save(path)``, so plain
dspy loads it with ``dspy.Predict(sig).load(path)``; a JSON saved by plain dspy loads into
this backend with :func:`load_program` (or :func:`load_ref` for a ready ``ModuleRef``).
LM objects are never saved with a program: dspex passes the LM per call, and dspy's own
state leaves API keys out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dspex_core.errors import InputError

from dspex_dspy.translate import from_dspy_demos, from_dspy_signature


def _json_path(path: Any, verb: str) -> Path:
    path = Path(path)
    if path.suffix != ".json":
        raise InputError(f"cannot {verb} {str(path)!r}: dspy programs are {verb}d as JSON, use a path ending in .json")
    return path


def save_module(module: Any, path: Any, dspex_metadata: dict[str, Any] | None = None) -> None:
    """``module.save(path)`` in dspy's JSON format (state only: demos, instructions, signature),
    plus ``metadata.dspex`` when given: what ``dspex.load`` needs beyond dspy's state (the module
    type and the signature with its types). Plain dspy ignores that key when loading."""
    path = _json_path(path, "save")
    if not path.parent.exists():
        raise InputError(f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    module.save(str(path))
    if dspex_metadata:
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("metadata", {})["dspex"] = dspex_metadata
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_into(module: Any, path: Any) -> Any:
    """Load a dspy-format JSON into an existing dspy module (its predictors must match)."""
    path = _json_path(path, "load")
    if not path.is_file():
        raise InputError(f"cannot load {str(path)!r}: no such file")
    try:
        module.load(str(path))
    except (KeyError, ValueError) as exc:
        expected = [name for name, _ in module.named_predictors()]
        raise InputError(f"{str(path)!r} does not fit this program (its predictors are {expected}): "
                         f"{type(exc).__name__}: {exc}") from exc
    return module


def load_program(path: Any, module_type: str, signature: Any = None, **options: Any) -> str:
    """Build a ``module_type`` program on the dspy backend, load ``path`` into it, store it.

    Returns the stored module's id (the state, as ``create`` returns it). ``signature`` and
    ``options`` are what ``create`` takes for that module type.
    """
    from dspex_dspy import store
    from dspex_dspy.plugin import implementation_for

    impl = implementation_for(module_type)
    module_id = impl.create(signature, **options)
    try:
        load_into(store.get(module_id), path)
    except Exception:
        store.free(module_id)
        raise
    return module_id


def load_ref(path: Any, module_type: str, signature: Any = None, **options: Any) -> Any:
    """Like :func:`load_program`, returning a ``ModuleRef`` ready to call."""
    from dspex_core.backend import module_ref

    from dspex_dspy import store
    from dspex_dspy.plugin import BACKEND

    module_id = load_program(path, module_type, signature, **options)
    return module_ref(BACKEND, module_type, module_id, spec=signature, options=options,
                      session_id=store.session_of(module_id))


def describe_module(module: Any) -> dict[str, Any]:
    """Signature, instructions and demos of a dspy module's predictors, in dspex terms."""
    predictors = {}
    for name, predictor in module.named_predictors():
        sig = predictor.signature
        predictors[name] = {
            "signature": from_dspy_signature(sig).signature,
            "instructions": sig.instructions,
            "demos": from_dspy_demos(predictor.demos),
        }
    out: dict[str, Any] = {"predictors": predictors, "dspy_class": type(module).__name__}
    main = predictors.get("self") or predictors.get("predict") or (next(iter(predictors.values()))
                                                                   if len(predictors) == 1 else None)
    signature = getattr(module, "signature", None)
    if signature is not None:
        out["signature"] = from_dspy_signature(signature).signature
    if main is not None:
        out.setdefault("signature", main["signature"])
        out["instructions"] = main["instructions"]
        out["demos"] = main["demos"]
    return out
