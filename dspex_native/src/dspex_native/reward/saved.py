"""A reward loop described, and its state in DSPy's saved format, both ways.

DSPy's ``BestOfN``/``Refine`` have no state of their own: ``dump_state()`` is their wrapped
module's, under the attribute name ``module``. A wrapped ``Predict`` is ``{"module": {...}}``, a
module with named predictors ``{"module.<name>": {...}}`` (``"module.predict"`` for a
ChainOfThought, ``"module.module"`` for a loop around a Predict). ``load_state`` takes such a dict
back and applies the wrapped part with the wrapped module's own ``load_state``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import CapabilityError, InputError

from dspex_native.reward.state import LoopState

PREFIX = "module"


def describe(loop: LoopState) -> dict[str, Any]:
    """The loop's arguments and the wrapped module's description (its inputs and outputs are the loop's)."""
    wrapped = loop.wrapped
    describe_wrapped = getattr(wrapped.implementation, "describe", None)
    inner = describe_wrapped(wrapped.state) if describe_wrapped is not None else {}
    out: dict[str, Any] = {
        "backend": "native",
        "module_type": loop.module_type,
        "wrapped": {"module_type": wrapped.module_type, **inner},
        "N": loop.N,
        "threshold": loop.threshold,
        "fail_count": loop.fail_count,
        "adapter": loop.adapter,
        "lm": repr(loop.lm) if loop.lm is not None else None,
    }
    for key in ("signature", "inputs", "outputs"):
        if key in inner:
            out[key] = inner[key]
    return out


def _is_predictor(state: Any) -> bool:
    return isinstance(state, Mapping) and isinstance(state.get("signature"), Mapping)


def dump_state(loop: LoopState) -> dict[str, Any]:
    """DSPy's ``dump_state()`` of the loop: the wrapped module's state under ``module``."""
    wrapped = loop.wrapped
    inner = wrapped.implementation.dump_state(wrapped.state)
    if _is_predictor(inner):
        return {PREFIX: inner}
    return {f"{PREFIX}.{name}": state for name, state in inner.items()}


def wrapped_state(module_type: str, state_dict: Any) -> dict[str, Any]:
    """The wrapped module's part of a loop's saved state (``{"module": ...}`` or ``{"module.<name>": ...}``)."""
    if not isinstance(state_dict, Mapping):
        raise InputError(f"load_state needs the dict DSPy saved for the {module_type} module, "
                         f"got {type(state_dict).__name__}")
    if PREFIX in state_dict:
        if len(state_dict) != 1 or not _is_predictor(state_dict[PREFIX]):
            raise InputError(f"the saved {module_type} state has 'module' beside other keys: {sorted(state_dict)}")
        return dict(state_dict[PREFIX])
    inner = {}
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key.startswith(PREFIX + "."):
            raise InputError(f"the saved {module_type} state keeps its wrapped module under 'module' or "
                             f"'module.<predictor>'; it has {key!r}")
        inner[key[len(PREFIX) + 1:]] = value
    if not inner:
        raise InputError(f"the saved {module_type} state is empty")
    return inner


def load_state(loop: LoopState, state_dict: Mapping[str, Any]) -> LoopState:
    """``loop`` with the wrapped module's saved state applied (its create options kept)."""
    wrapped = loop.wrapped
    loader = getattr(wrapped.implementation, "load_state", None)
    if loader is None:
        raise CapabilityError(f"{loop.module_type}: a native {wrapped.module_type!r} module cannot load a saved state")
    inner = loader(wrapped.spec, wrapped_state(loop.module_type, state_dict), **wrapped.options)
    loop.wrapped = wrapped.with_state(inner)
    return loop
