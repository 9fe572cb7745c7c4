"""The six optimizers dspex serves through DSPy 3.4.

Each class names its DSPy optimizer; the options are DSPy's own (see
:class:`~dspex_dspy.optimizers._base.OptimizerImpl`). The checks here reject, before any LM
call, combinations that DSPy would reject only after bootstrapping.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImpl


class LabeledFewShotImpl(OptimizerImpl):
    """``dspy.LabeledFewShot(k=16)``: the program's demos become (up to ``k``) trainset
    examples, sampled with a fixed seed. It takes no metric (DSPy's takes none).
    compile option: ``sample`` (default ``True``; ``False`` takes the first ``k``)."""

    module_type = "labeled_few_shot"
    dspy_class_name = "LabeledFewShot"
    metric_required = False
    bootstraps = False


class BootstrapFewShotImpl(OptimizerImpl):
    """``dspy.BootstrapFewShot``: runs the program (as teacher) on the trainset and keeps
    the traces the metric accepts as demos, topped up with labeled examples.
    create options: ``metric`` (optional: without one every trace is kept),
    ``metric_threshold``, ``teacher_settings``, ``max_bootstrapped_demos`` (4),
    ``max_labeled_demos`` (16), ``max_rounds`` (1), ``max_errors``.
    compile option: ``teacher`` (a ``ModuleRef`` with the same structure)."""

    module_type = "bootstrap_few_shot"
    dspy_class_name = "BootstrapFewShot"
    metric_required = False


class BootstrapFewShotWithRandomSearchImpl(OptimizerImpl):
    """``dspy.BootstrapFewShotWithRandomSearch``: several bootstrapped demo sets (plus
    zero-shot and labeled-only baselines), each scored on the valset (else the trainset);
    the best wins. create options: ``metric`` (required), ``num_candidate_programs`` (16),
    ``max_bootstrapped_demos``, ``max_labeled_demos``, ``max_rounds``, ``num_threads``,
    ``max_errors``, ``stop_at_score``, ``metric_threshold``, ``teacher_settings``.
    compile options: ``teacher``, ``restrict``, ``labeled_sample``."""

    module_type = "bootstrap_few_shot_with_random_search"
    dspy_class_name = "BootstrapFewShotWithRandomSearch"


class COPROImpl(OptimizerImpl):
    """``dspy.COPRO``: coordinate ascent over each predictor's instructions and output
    prefix; the LM (or ``prompt_model``) proposes ``breadth`` candidates per round for
    ``depth`` rounds, each scored on the trainset. create options: ``metric`` (required),
    ``prompt_model``, ``breadth`` (10, must be > 1), ``depth`` (3), ``init_temperature``,
    ``track_stats``. compile option: ``eval_kwargs`` (for ``dspy.Evaluate``)."""

    module_type = "copro"
    dspy_class_name = "COPRO"
    bootstraps = False

    def check_config(self, options: Mapping[str, Any]) -> None:
        breadth = options.get("breadth", 10)
        if isinstance(breadth, bool) or not isinstance(breadth, int) or breadth <= 1:
            raise InputError(f"copro: breadth must be an integer greater than 1, got {breadth!r}")
        depth = options.get("depth", 3)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise InputError(f"copro: depth must be a positive integer, got {depth!r}")


_AUTO = (None, "light", "medium", "heavy")


class MIPROv2Impl(OptimizerImpl):
    """``dspy.MIPROv2``: proposes instructions (grounded in the data, the program and
    bootstrapped demos) and demo sets, then searches their combinations with optuna's
    Bayesian optimization. create options: ``metric`` (required), ``auto`` (``"light"``
    default, ``"medium"``, ``"heavy"``, or ``None`` with ``num_candidates``),
    ``num_candidates``, ``prompt_model``, ``task_model``, ``max_bootstrapped_demos``,
    ``max_labeled_demos``, ``num_threads``, ``max_errors``, ``seed``, ``init_temperature``,
    ``verbose``, ``track_stats``, ``log_dir``, ``metric_threshold``, ``teacher_settings``.
    compile options: ``num_trials`` (with ``auto=None``), ``minibatch``, ``minibatch_size``,
    ``minibatch_full_eval_steps``, the proposer switches, ``teacher``, ``seed``, ..."""

    module_type = "mipro_v2"
    dspy_class_name = "MIPROv2"

    def check_config(self, options: Mapping[str, Any]) -> None:
        auto = options.get("auto", "light")
        if auto not in _AUTO:
            raise InputError(f"{self.module_type}: auto must be one of {_AUTO}, got {auto!r}")
        if auto is None and options.get("num_candidates") is None:
            raise InputError(f"{self.module_type} with auto=None needs num_candidates= (and num_trials= at "
                             f"dspex.compile)")
        if auto is not None and options.get("num_candidates") is not None:
            raise InputError(f"{self.module_type}: auto={auto!r} sets num_candidates itself; pass auto=None to "
                             f"choose num_candidates")

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        auto = config.get("auto", "light")
        if auto is None and options.get("num_trials") is None:
            raise InputError(f"{self.module_type} with auto=None needs num_trials= in dspex.compile(...)")
        if auto is not None and options.get("num_trials") is not None:
            raise InputError(f"{self.module_type}: auto={auto!r} sets num_trials itself; create the optimizer with "
                             f"auto=None to choose num_trials")
        if valset is None and len(trainset) < 2:
            raise InputError(f"{self.module_type} without a valset splits the trainset, which needs at least 2 "
                             f"examples; got {len(trainset)}")
        size = len(valset) if valset is not None else max(1, int(len(trainset) * 0.8))
        minibatch_size = options.get("minibatch_size", 35)
        if auto is None and options.get("minibatch", True) and minibatch_size > size:
            raise InputError(f"{self.module_type}: minibatch_size={minibatch_size} exceeds the validation set "
                             f"({size} examples); pass minibatch=False or a smaller minibatch_size")


class MIPROImpl(MIPROv2Impl):
    """``mipro``: DSPy 3.4 no longer has the original ``MIPRO`` class (it was replaced by
    ``MIPROv2``), so ``mipro`` is served by ``dspy.MIPROv2`` with the same options."""

    module_type = "mipro"
