"""The native ``retrieve`` module type: DSPy's ``Retrieve(k)`` over a retriever (``rm``).

``create(k=3, rm=None)``; ``execute(query=..., k=None)`` calls the retriever of the call's
``rm=`` option, else ``create``'s, else ``dspex.settings().rm`` (none of them is an
:class:`~dspex_core.errors.InputError` naming ``dspex.configure(rm=...)``) as
``rm(query, k=k)``, or a dspex retriever module (a ``colbert_v2`` reference, any backend) with
``query=``/``k=``, and returns ``Prediction(passages=[...])`` of the passages' texts
(:mod:`dspex_native.retrieval.passages`, the dspy backend's rules). The retriever's own errors
reach the caller unchanged.

State, as DSPy's ``Retrieve`` (a ``Parameter``, not a ``Module``) has it: ``dump_state()`` is
``{"k": k}`` and ``load_state(None, {"k": k}, rm=...)`` makes a module with that ``k`` (the
create options as for ``create``); DSPy's ``Retrieve`` has no ``save``, so ``save`` is a
:class:`~dspex_core.errors.CapabilityError`, with the dspy backend's words.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction
from dspex_core.config import settings
from dspex_core.errors import CapabilityError, InputError

from dspex_native.retrieval.inputs import no_options, positive_k, query_and_k
from dspex_native.retrieval.passages import NO_RM, aretrieve, check_rm, retrieve

#: ``dspy.Retrieve``'s default ``k``.
DEFAULT_K = 3
CREATE_OPTIONS = frozenset({"k", "rm"})
CALL_OPTIONS = frozenset({"rm"})


class RetrieveState:
    """``k`` and the retriever given at ``create`` (``None``: the call's or the configured one)."""

    __slots__ = ("k", "rm")

    def __init__(self, k: int, rm: Any):
        self.k = k
        self.rm = rm

    def __repr__(self) -> str:
        return f"RetrieveState(k={self.k}, rm={self.rm!r})"


class RetrieveImplementation(Implementation):
    """``create(k=3, rm=None)`` then ``execute(state, {"query": ...}) -> Prediction(passages=[...])``."""

    module_type = "retrieve"

    def create(self, spec: Any = None, **options: Any) -> RetrieveState:
        if spec is not None:
            raise InputError(f"retrieve takes no spec (got {spec!r}); use Retrieve.create(k=..., rm=...)")
        no_options(self.module_type, options, CREATE_OPTIONS)
        rm = options.get("rm")
        return RetrieveState(positive_k(options.get("k", DEFAULT_K)), None if rm is None else check_rm(rm))

    async def acreate(self, spec: Any = None, **options: Any) -> RetrieveState:
        return self.create(spec, **options)

    def execute(self, state: RetrieveState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        rm, query, k = self._call(state, inputs, options)
        return Prediction(passages=retrieve(rm, query, k))

    async def aexecute(self, state: RetrieveState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        rm, query, k = self._call(state, inputs, options)
        return Prediction(passages=await aretrieve(rm, query, k))

    def _call(self, state: RetrieveState, inputs: Mapping[str, Any],
              options: dict[str, Any]) -> tuple[Any, str, int]:
        rm = options.pop("rm", None)
        if options:
            no_options(f"{self.module_type} (call)", options, CALL_OPTIONS)
        query, k = query_and_k(self.module_type, inputs)
        rm = rm if rm is not None else state.rm if state.rm is not None else settings().rm
        if rm is None:
            raise InputError(NO_RM)
        return check_rm(rm), query, state.k if k is None else k

    def describe(self, state: RetrieveState) -> dict[str, Any]:
        return {"k": state.k, "rm": repr(state.rm) if state.rm is not None else None,
                "inputs": ["query"], "outputs": ["passages"]}

    def save(self, state: RetrieveState, path: Any) -> None:
        raise CapabilityError("retrieve has no learned state to save (only k); create it again with k=")

    def dump_state(self, state: RetrieveState) -> dict[str, Any]:
        return {"k": state.k}

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> RetrieveState:
        if not isinstance(state_dict, Mapping):
            raise InputError(f"a saved retrieve state is a dict like {{'k': 3}}, got {type(state_dict).__name__}")
        state = self.create(spec, **options)
        if "k" in state_dict:
            try:
                state.k = positive_k(state_dict["k"])
            except InputError as exc:
                raise InputError(f"the saved retrieve state does not fit: {exc}") from None
        return state


implementation = RetrieveImplementation()
