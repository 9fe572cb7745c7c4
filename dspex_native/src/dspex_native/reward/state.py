"""A native reward loop's state: the wrapped module and DSPy's ``BestOfN``/``Refine`` arguments, checked.

``create(module_ref, N=, reward_fn=, threshold=, fail_count=None, lm=None, adapter=None)`` takes
what the dspy backend takes, with the same messages for bad input, all raised before any LM call.
``fail_count`` is kept as DSPy keeps it: ``fail_count or N``, decremented on every failed attempt
and never reset, so the allowance is spent across the calls of one module, as in DSPy.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_native.predictor.options import check_adapter, lm_problem
from dspex_native.reward.wrapped import Wrapped, input_names, named_predictors, wrapped_module

CREATE_OPTIONS = frozenset({"N", "reward_fn", "threshold", "fail_count", "lm", "adapter"})


class LoopState:
    """What ``create`` returns for ``best_of_n``/``refine``/``retry``."""

    __slots__ = ("module_type", "wrapped", "N", "reward_fn", "threshold", "fail_count", "lm", "adapter", "inputs",
                 "reward_code", "modules_defn")

    def __init__(self, module_type: str, wrapped: Wrapped, N: int, reward_fn: Any, threshold: Any,  # noqa: N803
                 fail_count: Any, lm: Any, adapter: str):
        self.module_type = module_type
        self.wrapped = wrapped
        self.N = N
        self.reward_fn = reward_fn
        self.threshold = threshold
        #: DSPy's ``self.fail_count = fail_count or N``: spent by failed attempts, across calls
        self.fail_count = fail_count or N
        self.lm = lm
        self.adapter = adapter
        self.inputs = input_names(wrapped)
        #: the reward function's source for Refine's advice request, read when first needed
        self.reward_code: str | None = None
        #: the wrapped module's predictors as Refine's advice request describes them (they do not
        #: change: hints are added to a call, not to a signature), written when first needed
        self.modules_defn: str | None = None

    def copy(self) -> "LoopState":
        """A copy with the same allowance left: what an enclosing loop runs (DSPy's loops run a deep
        copy of their module, so a wrapped loop's ``fail_count`` is spent on the copy only)."""
        out = object.__new__(LoopState)
        for name in LoopState.__slots__:
            object.__setattr__(out, name, getattr(self, name))
        return out

    def __repr__(self) -> str:
        return (f"LoopState({self.module_type}, {self.wrapped.module_type}, N={self.N}, threshold={self.threshold!r}, "
                f"fail_count={self.fail_count!r})")


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def build(module_type: str, spec: Any, options: Mapping[str, Any], refines: bool) -> LoopState:
    """The checked state of a ``module_type`` loop around ``spec`` (a native ``ModuleRef``)."""
    wrapped = wrapped_module(module_type, spec)
    adapter = check_adapter(module_type, options.get("adapter"))
    unknown = sorted(set(options) - CREATE_OPTIONS)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r}; accepted: "
                         f"{', '.join(sorted(CREATE_OPTIONS))}")
    N = options.get("N")  # noqa: N806 - DSPy's name
    if not isinstance(N, int) or isinstance(N, bool) or N < 1:
        raise InputError(f"{module_type} needs N= (a positive integer: how many attempts), got {N!r}")
    reward_fn = options.get("reward_fn")
    if not callable(reward_fn):
        raise InputError(f"{module_type} needs reward_fn= (a callable (inputs, prediction) -> float), "
                         f"got {reward_fn!r}")
    threshold = options.get("threshold")
    if threshold is None or not _number(threshold):
        raise InputError(f"{module_type} needs threshold= (a number the reward must reach), got {threshold!r}")
    fail_count = options.get("fail_count")
    if fail_count is not None and (not isinstance(fail_count, int) or isinstance(fail_count, bool)):
        raise InputError(f"{module_type}: fail_count= must be an integer (how many failed attempts to allow; "
                         f"None means N), got {fail_count!r}")
    lm = options.get("lm")
    if lm is None:
        lm = wrapped.lm
    problem = lm_problem(lm, module_type)
    if problem is not None:
        raise problem
    if refines:
        named_predictors(module_type, wrapped)  # a module that cannot be refined natively says so now
    return LoopState(module_type, wrapped, N, reward_fn, threshold, fail_count, lm, adapter)
