"""``better_together`` through ``dspy.BetterTogether``, with prompt optimizers only.

``dspy.BetterTogether(metric, **optimizers)`` runs the named optimizers in the order a strategy
string gives (``"p -> q"``), scores each result on a valset and keeps the best program. Its
default pairs a prompt optimizer with ``BootstrapFinetune`` (``"p -> w -> p"``), which fine-tunes
the LM's weights; dspex serves no weight optimizer, so the optimizers are given as dspex optimizer
references under the names the strategy uses (``p=dspex.COPRO.create(...)``), and the strategy
must name only those. DSPy wants every predictor to carry its LM; dspex sets the program's LM on
them for the compile and takes it off the result, which runs under dspex's LM like any program.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

from dspex_core.backend import ModuleRef
from dspex_core.errors import InputError

from dspex_dspy import store
from dspex_dspy.optimizers._base import OptimizerImplementation
from dspex_dspy.optimizers._metric import check_metric
from dspex_dspy.optimizers._options import check_known, parameter_names

SEPARATOR = " -> "
DEFAULT_STRATEGY = "p -> w -> p"


class BetterTogetherImpl(OptimizerImplementation):
    """``dspy.BetterTogether``: create options ``metric`` (required) and one dspex optimizer
    reference per strategy name (``p=dspex.MIPROv2.create(...)``, ``q=dspex.COPRO.create(...)``).
    compile options: ``strategy`` (required unless the names are DSPy's ``p`` and ``w``),
    ``valset`` (else ``valset_ratio`` of the trainset, 0.1), ``teacher``, ``num_threads``,
    ``max_errors``, ``provide_traceback``, ``seed``, ``shuffle_trainset_between_steps``,
    ``optimizer_compile_args`` (a dict per name)."""

    module_type = "better_together"
    dspy_class_name = "BetterTogether"
    bootstraps = False

    def create(self, spec: Any, **options: Any) -> str:
        if spec is not None:
            raise InputError(f"better_together takes no spec (got {spec!r}); use "
                             f"BetterTogether.create(metric=fn, p=optimizer_ref, ...)")
        check_metric(self.module_type, options.get("metric"), True)
        optimizers = {name: value for name, value in options.items() if name != "metric"}
        if not optimizers:
            raise InputError("better_together needs the optimizers to run, as dspex optimizer references named as "
                             "the strategy names them, e.g. BetterTogether.create(metric=fn, "
                             "p=dspex.COPRO.create(metric=fn)); DSPy's default adds BootstrapFinetune, which fine-tunes "
                             "weights, and dspex runs prompt optimizers only")
        for name, ref in optimizers.items():
            if not isinstance(ref, ModuleRef) or not ref.has("compile"):
                raise InputError(f"better_together: {name}= must be a dspex optimizer reference (e.g. "
                                 f"dspex.COPRO.create(metric=fn)), got {type(ref).__name__}")
            if ref.module_type in (self.module_type, "ensemble", "knn_few_shot"):
                raise InputError(f"better_together: {name}= is a {ref.module_type!r} optimizer, which does not tune a "
                                 f"program's prompts in place; use a prompt optimizer (copro, mipro_v2, gepa, simba, "
                                 f"bootstrap_few_shot, ...)")
        return store.put(self.module_type, dict(options), meta={"inputs": None})

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        names = [name for name in config if name != "metric"]
        strategy = options.get("strategy", DEFAULT_STRATEGY)
        if not isinstance(strategy, str) or not strategy.strip():
            raise InputError(f"better_together: strategy must be names joined by ' -> ', got {strategy!r}")
        unknown = [step for step in strategy.split(SEPARATOR) if step not in names]
        if unknown:
            hint = "" if "strategy" in options else f" (DSPy's default strategy is {DEFAULT_STRATEGY!r}: pass strategy=)"
            raise InputError(f"better_together: the strategy {strategy!r} names {', '.join(map(repr, unknown))}, "
                             f"which is not among the optimizers given: {', '.join(names)}{hint}")
        args = options.get("optimizer_compile_args") or {}
        for name, given in args.items():
            if name not in names:
                raise InputError(f"better_together: optimizer_compile_args names {name!r}; the optimizers are "
                                 f"{', '.join(names)}")
            if not isinstance(given, Mapping):
                raise InputError(f"better_together: optimizer_compile_args[{name!r}] must be a dict")
            from dspex_dspy.plugin import implementation_for

            inner = implementation_for(config[name].module_type)
            check_known(config[name].module_type, f"(optimizer_compile_args[{name!r}])", given,
                        (*inner.compile_options(), "trainset", "valset"))

    def compile_options(self) -> tuple[str, ...]:
        return parameter_names(self.dspy_class.compile, skip=("student", "trainset", "valset"))

    def finish_config(self, config: dict[str, Any], sets: dict[str, Any],
                      where: dict[int, tuple[str, int, Any]]) -> dict[str, Any]:
        from dspex_dspy.plugin import implementation_for

        made = {}
        for name, value in config.items():
            if isinstance(value, ModuleRef):
                inner = implementation_for(value.module_type)
                own = store.get(value.state) if value.backend == "dspy" else dict(value.options)
                inner_config, _ = inner.prepared_config(own, where)
                value = inner._construct(inner.finish_config(inner_config, sets, where))
            made[name] = value
        return made

    def run_compile(self, optimizer: Any, student: Any, sets: dict[str, Any], options: dict[str, Any],
                    lm: Any) -> Any:
        student.module.set_lm(lm)
        compiled = optimizer.compile(student.module, **sets, **options)
        for program in (compiled, *(c["program"] for c in getattr(compiled, "candidate_programs", ()))):
            program.set_lm(None)  # the result runs under dspex's LM, as every program does
        if getattr(compiled, "flag_compilation_error_occurred", False):
            warnings.warn("better_together: a step of the strategy failed (dspy logged it); the best program found "
                          "before it is returned", RuntimeWarning, stacklevel=4)
        return compiled

    def describe(self, state: str) -> dict[str, Any]:
        info = super().describe(state)
        info["config"] = {k: (repr(v) if isinstance(v, ModuleRef) else v) for k, v in info["config"].items()}
        return info

    def unwrap(self, state: str) -> Any:
        config, _ = self.prepared_config(store.get(state), {})
        return self._construct(self.finish_config(config, {}, {}))


implementation = BetterTogetherImpl()
