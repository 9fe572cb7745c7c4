"""The ``dspy`` backend's entry point: registers the module types it serves.

``dspy`` itself is imported lazily, when a module is first created (see
:mod:`dspex_dspy._lazy`), so that listing backends stays fast. The hook below is a plain
list of ``register`` calls: one line per module type.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import hookimpl

from dspex_dspy._lazy import LazyImplementation, lazy

BACKEND = "dspy"
PRIORITY = 10


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """One ``register`` call per module type served through real dspy."""
    def reg(module_type: str, target: str) -> None:
        optimizer = target.startswith("dspex_dspy.optimizers:")
        register(module_type, lazy(module_type, target, optimizer=optimizer), backend=BACKEND, native=False,
                 priority=PRIORITY)

    reg("predict", "dspex_dspy._predict:PredictImpl")
    reg("chain_of_thought", "dspex_dspy._predict:ChainOfThoughtImpl")
    reg("react", "dspex_dspy._agents:ReActImpl")
    reg("program_of_thought", "dspex_dspy._agents:ProgramOfThoughtImpl")
    reg("multi_chain_comparison", "dspex_dspy._agents:MultiChainComparisonImpl")
    reg("retry", "dspex_dspy._refine:RetryImpl")
    reg("best_of_n", "dspex_dspy._refine:BestOfNImpl")
    reg("refine", "dspex_dspy._refine:RefineImpl")
    reg("colbert_v2", "dspex_dspy._retrieval:ColBERTv2Impl")
    reg("retrieve", "dspex_dspy._retrieval:RetrieveImpl")
    reg("evaluate", "dspex_dspy._evaluation:EvaluateImpl")
    reg("metrics", "dspex_dspy._evaluation:MetricsImpl")
    # -- optimizers (dspex_dspy/optimizers/) register below this line --
    reg("labeled_few_shot", "dspex_dspy.optimizers:LabeledFewShotImpl")
    reg("bootstrap_few_shot", "dspex_dspy.optimizers:BootstrapFewShotImpl")
    reg("bootstrap_few_shot_with_random_search", "dspex_dspy.optimizers:BootstrapFewShotWithRandomSearchImpl")
    reg("copro", "dspex_dspy.optimizers:COPROImpl")
    reg("mipro_v2", "dspex_dspy.optimizers:MIPROv2Impl")
    reg("mipro", "dspex_dspy.optimizers:MIPROImpl")


@hookimpl
def dspex_session_end(session: Any) -> None:
    """Free the dspy modules of a session that ended; their references become unusable."""
    from dspex_dspy import store

    store.free_session(session.id)


def implementation_for(module_type: str) -> Any:
    """The dspy backend's implementation object for ``module_type`` (loaded)."""
    from dspex_core import registry
    from dspex_core.errors import ModuleTypeNotServedError

    found = registry.lookup(BACKEND, module_type)
    if found is None:
        raise ModuleTypeNotServedError(f"the dspy backend does not serve {module_type!r} (or is disabled); it serves: "
                                       f"{', '.join(registry.list_by_implementation().get(BACKEND, [])) or 'nothing'}")
    impl = found.implementation
    return impl.load() if isinstance(impl, LazyImplementation) else impl
