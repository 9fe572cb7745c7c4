"""The reward loop ``retry``, ``best_of_n`` and ``refine`` share: run a wrapped module until a
reward passes.

``dspy.BestOfN`` runs the module up to ``N`` times at ``temperature=1.0`` with distinct rollout
ids and returns the first prediction whose ``reward_fn(inputs, prediction)`` reaches
``threshold`` (else the best one); ``dspy.Refine`` does the same and, between attempts, lets the
LM write advice that is fed back to the module as a hint. The three module types differ only in
which of the two dspy classes they build (``dspy_class_name``).

The wrapped module is a ``ModuleRef``. A dspy-backend reference contributes its stored dspy
module; a ``predict``/``chain_of_thought`` reference from another backend (e.g. native) is
rebuilt as the equivalent dspy module from its spec and options (signature, demos,
instructions, LM settings), because the loop must call a dspy module. Any other foreign module
type is a :class:`~dspex_core.errors.CapabilityError` naming it.
"""

from __future__ import annotations

import inspect
from typing import Any

import dspy
from dspex_core.backend import ModuleRef, redacted_prints
from dspex_core.errors import CapabilityError, InputError

from dspex_dspy import store
from dspex_dspy._base import DspyImplementation, check_options
from dspex_dspy.translate import from_dspy_prediction

_REBUILDABLE = ("predict", "chain_of_thought")


def wrapped_module(ref: Any) -> tuple[Any, Any]:
    """(the dspy module to wrap, the LM its reference was created with)."""
    if not isinstance(ref, ModuleRef):
        raise InputError(f"the module to wrap must be a ModuleRef from create(...), got {type(ref).__name__}")
    if ref.backend == "dspy":
        module, meta = store.entry(ref.state)
        return module, meta.get("lm")
    if ref.module_type in _REBUILDABLE:
        from dspex_dspy.plugin import implementation_for

        options = dict(ref.options)
        lm = options.pop("lm", None)
        options.pop("adapter", None)
        impl = implementation_for(ref.module_type)
        check_options(ref.module_type, options, impl.create_options)
        return impl.build(ref.spec, **options), lm
    raise CapabilityError(f"cannot wrap a {ref.module_type!r} module of backend {ref.backend!r} on the dspy backend: "
                          f"only dspy-backend modules and {'/'.join(_REBUILDABLE)} from other backends can be "
                          f"rebuilt; create the wrapped module with implementation='dspy'")


def _reward(reward_fn: Any) -> Any:
    """The user's reward, called with the inputs dict and a dspex Prediction."""
    def reward(args: Any, pred: Any) -> float:
        return reward_fn(args, from_dspy_prediction(pred))

    return reward


class RewardLoopImplementation(DspyImplementation):
    """``dspy.BestOfN``/``dspy.Refine(module, N, reward_fn, threshold, fail_count)`` around the wrapped module."""

    renders = True  # its first request, as dspy would send it (dspex_dspy._render)

    #: ``"BestOfN"`` or ``"Refine"``, an attribute of ``dspy``
    dspy_class_name: str = ""
    create_options = frozenset({"N", "reward_fn", "threshold", "fail_count", "_wrapped"})  # _wrapped: internal
    call_options = frozenset()

    def create(self, spec: Any, **options: Any) -> str:
        module, inner_lm = wrapped_module(spec)
        if options.get("lm") is None and inner_lm is not None:
            options["lm"] = inner_lm
        options["_wrapped"] = module
        return super().create(spec, **options)

    def build(self, spec: Any, *, _wrapped: Any = None, N: Any = None, reward_fn: Any = None,  # noqa: N803
              threshold: Any = None, fail_count: Any = None) -> Any:
        if not isinstance(N, int) or isinstance(N, bool) or N < 1:
            raise InputError(f"{self.module_type} needs N= (a positive integer: how many attempts), got {N!r}")
        if not callable(reward_fn):
            raise InputError(f"{self.module_type} needs reward_fn= (a callable (inputs, prediction) -> float), "
                             f"got {reward_fn!r}")
        if threshold is None or isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise InputError(f"{self.module_type} needs threshold= (a number the reward must reach), got {threshold!r}")
        if fail_count is not None and (not isinstance(fail_count, int) or isinstance(fail_count, bool)):
            raise InputError(f"{self.module_type}: fail_count= must be an integer (how many failed attempts to allow; "
                             f"None means N), got {fail_count!r}")
        module = getattr(dspy, self.dspy_class_name)(_wrapped, N=N, reward_fn=_reward(reward_fn),
                                                     threshold=threshold, fail_count=fail_count)
        if hasattr(module, "reward_fn_code"):
            # The advice prompt shows the user's reward code, not dspex's wrapper; read as dspy.Refine
            # reads it (a callable object's class when the object itself has no source).
            for source_of in (reward_fn, type(reward_fn)):
                try:
                    module.reward_fn_code = inspect.getsource(source_of)
                    break
                except TypeError:
                    continue
                except OSError:
                    break
        return module

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        # dspy prints every failed attempt with its exception's text: through the core's redactor
        with redacted_prints():
            return super().call(module, kwargs)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        # dspy.BestOfN and dspy.Refine have no aforward (their acall fails): run forward in a worker
        # thread, which inherits dspy's context (the LM and adapter of this call). The call is made
        # from this module (self.call), so dspex_dspy's filter of dspy's legacy-LM warning applies.
        import asyncio

        return await asyncio.to_thread(self.call, module, kwargs)

    def input_names(self, module: Any) -> Any:
        inner = module.module
        sig = getattr(inner, "signature", None)
        if sig is None:
            predictors = inner.named_predictors()
            if len(predictors) != 1:
                return None
            sig = predictors[0][1].signature
        names = frozenset(sig.input_fields)
        return names, names
