"""One facade class per module type: ``dspex.ChainOfThought.create("question -> answer")``.

A facade holds no state and no implementation; it names a module type and forwards to the
generic :func:`~dspex_core.create` / :func:`~dspex_core.execute`, so the router decides which
backend serves it. ``dspex.Signature.create(...)`` is the signature module (see
:class:`~dspex_core.Signature`).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import _api
from dspex_core._module_ref import ModuleRef
from dspex_core.errors import InputError


class ModuleFacade:
    """Base of the facades; subclasses set ``module_type``."""

    module_type: str = ""

    @classmethod
    def create(cls, spec: Any = None, *, implementation: str | None = None, **options: Any) -> ModuleRef:
        """Create the module on the best (or the named) backend."""
        return _api.create(cls.module_type, spec, implementation=implementation, **options)

    @classmethod
    async def acreate(cls, spec: Any = None, *, implementation: str | None = None, **options: Any) -> ModuleRef:
        return await _api.acreate(cls.module_type, spec, implementation=implementation, **options)

    @classmethod
    def execute(cls, ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run a module made by :meth:`create` on ``inputs``."""
        cls._check(ref)
        return _api.execute(ref, inputs, **options)

    @classmethod
    async def aexecute(cls, ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
        cls._check(ref)
        return await _api.aexecute(ref, inputs, **options)

    @classmethod
    def _check(cls, ref: Any) -> None:
        if isinstance(ref, ModuleRef) and ref.module_type != cls.module_type:
            raise InputError(f"{cls.__name__}.execute got a {ref.module_type!r} module; "
                             f"use dspex.execute(ref, ...) or the matching facade")


def _facade(name: str, module_type: str, doc: str) -> type[ModuleFacade]:
    return type(name, (ModuleFacade,), {"module_type": module_type, "__doc__": doc, "__module__": __name__})


Predict = _facade("Predict", "predict", "Ask the LM for a signature's outputs (DSPy's Predict).")
ChainOfThought = _facade("ChainOfThought", "chain_of_thought", "Predict with a reasoning field first.")
ReAct = _facade("ReAct", "react", "Reason and act with tools: create(signature, tools=[...], max_iters=...).")
ProgramOfThought = _facade("ProgramOfThought", "program_of_thought", "Answer by writing and running code.")
MultiChainComparison = _facade("MultiChainComparison", "multi_chain_comparison",
                               "Compare M reasoning attempts: create(signature, M=...), execute with completions=.")
Retry = _facade("Retry", "retry", "Run a module until a reward passes: create(ref, N=, reward_fn=, threshold=).")
BestOfN = _facade("BestOfN", "best_of_n", "Run a module N times and keep the best by reward.")
Refine = _facade("Refine", "refine", "Run a module up to N times with feedback until a reward passes.")
BootstrapFewShot = _facade("BootstrapFewShot", "bootstrap_few_shot", "Optimizer: bootstrap demos from a trainset.")
BootstrapFewShotWithRandomSearch = _facade("BootstrapFewShotWithRandomSearch",
                                           "bootstrap_few_shot_with_random_search",
                                           "Optimizer: bootstrap several demo sets and keep the best.")
LabeledFewShot = _facade("LabeledFewShot", "labeled_few_shot", "Optimizer: use labeled examples as demos.")
MIPRO = _facade("MIPRO", "mipro", "Optimizer: instructions and demos by Bayesian search.")
MIPROv2 = _facade("MIPROv2", "mipro_v2", "Optimizer: DSPy's MIPROv2.")
COPRO = _facade("COPRO", "copro", "Optimizer: coordinate ascent over instructions.")
ColBERTv2 = _facade("ColBERTv2", "colbert_v2", "A ColBERTv2 server as a retriever: create(url=...).")
Retrieve = _facade("Retrieve", "retrieve", "Retrieve k passages with the configured retriever.")
Template = _facade("Template", "template", "Render a text template from the running state.")
Validator = _facade("Validator", "validator", "Check values against a signature's types.")
Metrics = _facade("Metrics", "metrics", "Score predictions: exact match, F1, passage match.")
Evaluate = _facade("Evaluate", "evaluate", "Score a program on a devset with a metric.")

FACADES: tuple[type[ModuleFacade], ...] = (
    Predict, ChainOfThought, ReAct, ProgramOfThought, MultiChainComparison, Retry, BestOfN, Refine,
    BootstrapFewShot, BootstrapFewShotWithRandomSearch, LabeledFewShot, MIPRO, MIPROv2, COPRO, ColBERTv2,
    Retrieve, Template, Validator, Metrics, Evaluate,
)


def facade_for(module_type: str) -> type[ModuleFacade] | None:
    """The facade class of a module type, if dspex defines one."""
    for facade in FACADES:
        if facade.module_type == module_type:
            return facade
    return None
