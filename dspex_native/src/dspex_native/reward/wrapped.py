"""The module a native reward loop runs: a native ``ModuleRef``'s implementation and state.

A loop calls the wrapped module's implementation directly (``execute(state, inputs, lm=...)``),
with each attempt's LM as the call's ``lm=``: DSPy's ``mod.set_lm(lm_)`` on a copy of the
module, since a call's ``lm=`` wins over the LM the module was created with, as ``set_lm`` does.

Only native modules of the table's ``module`` kind can be wrapped here; a module of another
backend is a :class:`~dspex_core.errors.CapabilityError`, so that the router can serve the loop
on that backend (the dspy backend wraps its own modules and rebuilds native predictors).

``Refine`` also needs the wrapped module's predictors by DSPy's names
(``module.named_predictors()``): a native implementation lists them with
``named_predictors(state) -> [(name, predictor state), ...]``; one that does not cannot be
refined natively yet (a ``CapabilityError`` naming it).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import ModuleRef, module_type as table_row
from dspex_core.errors import CapabilityError, InputError


class Wrapped:
    """A wrapped native module: ``implementation``, ``state``, ``module_type``, what it was
    created from (``spec``, ``options``) and whether its implementation has its own ``aexecute``."""

    __slots__ = ("implementation", "state", "module_type", "spec", "options", "has_aexecute")

    def __init__(self, implementation: Any, state: Any, module_type: str, spec: Any, options: Mapping[str, Any],
                 has_aexecute: bool):
        self.implementation = implementation
        self.state = state
        self.module_type = module_type
        self.spec = spec
        self.options = dict(options)
        self.has_aexecute = has_aexecute

    def with_state(self, state: Any) -> "Wrapped":
        """The same module with another state (a saved one loaded)."""
        return Wrapped(self.implementation, state, self.module_type, self.spec, self.options, self.has_aexecute)

    @property
    def lm(self) -> Any:
        """The LM the wrapped module was created with (the loop's default LM when it has none); a
        wrapped loop's is the LM it resolved from its own module, as DSPy's ``module.get_lm()``
        finds the LM of the predictors inside a wrapped ``BestOfN``/``Refine``."""
        lm = self.options.get("lm")
        return lm if lm is not None else getattr(self.state, "lm", None)


def wrapped_module(module_type: str, ref: Any) -> Wrapped:
    """The native module ``ref`` refers to, checked for ``module_type`` (the loop's type)."""
    if not isinstance(ref, ModuleRef):
        raise InputError(f"the module to wrap must be a ModuleRef from create(...), got {type(ref).__name__}")
    if ref.backend != "native":
        raise CapabilityError(f"{module_type}: the native backend cannot wrap a {ref.module_type!r} module of "
                              f"backend {ref.backend!r}; create the wrapped module with implementation='native', "
                              f"or the {module_type} with implementation={ref.backend!r}")
    row = table_row(ref.module_type)
    if row is None or row.kind != "module":
        kind = row.kind if row is not None else "unknown"
        raise InputError(f"{module_type} wraps an LM module (predict, chain_of_thought, ...); {ref.module_type!r} "
                         f"is a {kind} module type")
    return Wrapped(ref.implementation, ref.state, ref.module_type, ref.spec, ref.options, ref.has("aexecute"))


def named_predictors(module_type: str, wrapped: Wrapped) -> list[tuple[str, Any]]:
    """The wrapped module's predictors by DSPy's names (``self``, ``predict``, ``module.predict``, ...)."""
    lister = getattr(wrapped.implementation, "named_predictors", None)
    if lister is None:
        raise CapabilityError(f"{module_type}: the native backend cannot refine a {wrapped.module_type!r} module yet "
                              f"(its implementation does not list its predictors); use implementation='dspy'")
    return list(lister(wrapped.state))


def input_names(wrapped: Wrapped) -> frozenset[str] | None:
    """The inputs the wrapped module reads, from its ``describe()`` (``None`` when it does not say)."""
    describe = getattr(wrapped.implementation, "describe", None)
    if describe is None:
        return None
    inputs = describe(wrapped.state).get("inputs")
    return frozenset(inputs) if inputs is not None else None
