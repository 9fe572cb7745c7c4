"""``MIPROv2Implementation``: ``dspy.MIPROv2``, which serves both ``mipro_v2`` and ``mipro``.

DSPy 3.4 no longer has the original ``MIPRO`` class (``MIPROv2`` replaced it), so both module
types run ``dspy.MIPROv2`` with the same options and the same checks. The checks reject, at
``create`` and before ``compile`` calls the LM, combinations of ``auto``, ``num_candidates``,
``num_trials`` and ``minibatch_size`` that DSPy rejects only after bootstrapping demos.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImplementation


_AUTO = (None, "light", "medium", "heavy")


class MIPROv2Implementation(OptimizerImplementation):
    """``dspy.MIPROv2``: proposes instructions (grounded in the data, the program and
    bootstrapped demos) and demo sets, then searches their combinations with optuna's
    Bayesian optimization. create options: ``metric`` (required), ``auto`` (``"light"``
    default, ``"medium"``, ``"heavy"``, or ``None`` with ``num_candidates``),
    ``num_candidates``, ``prompt_model``, ``task_model``, ``max_bootstrapped_demos``,
    ``max_labeled_demos``, ``num_threads``, ``max_errors``, ``seed``, ``init_temperature``,
    ``verbose``, ``track_stats``, ``log_dir``, ``metric_threshold``, ``teacher_settings``.
    compile options: ``num_trials`` (with ``auto=None``), ``minibatch``, ``minibatch_size``,
    ``minibatch_full_eval_steps``, the proposer switches, ``teacher``, ``seed``, ..."""

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
