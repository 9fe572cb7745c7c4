"""The rules of the ``mipro_v2`` and ``mipro`` module types (DSPy's ``MIPROv2``), one copy for
every backend.

DSPy 3.4 checks some combinations of ``auto``, ``num_candidates``, ``num_trials`` and
``minibatch_size`` only inside ``compile``, several after it has bootstrapped demos (LM calls
spent), and fails on others with an unrelated ``ValueError`` ("empty range for randrange") deep
in its demo sampling. The same mistakes are an :class:`~dspex_core.errors.InputError` here,
at ``create`` or before the first LM call of ``dspex.compile``, with the same words whichever
backend compiles. Backends use this module as ``dspex_core.backend.mipro_rules``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

AUTO = (None, "light", "medium", "heavy")
#: With ``auto``, minibatches are used when the (sampled) valset has more examples than this
MIN_MINIBATCH_SIZE = 50
#: DSPy's ``AUTO_RUN_SETTINGS``: candidates per variable and the valset size each mode samples
AUTO_RUN_SETTINGS: Mapping[str, Mapping[str, int]] = {
    "light": {"n": 6, "val_size": 100},
    "medium": {"n": 12, "val_size": 300},
    "heavy": {"n": 18, "val_size": 1000},
}
#: ``MIPROv2.__init__``'s parameters and defaults, in DSPy's order
INIT_DEFAULTS: Mapping[str, Any] = {
    "metric": None, "prompt_model": None, "task_model": None, "teacher_settings": None,
    "max_bootstrapped_demos": 4, "max_labeled_demos": 4, "auto": "light", "num_candidates": None,
    "num_threads": None, "max_errors": None, "seed": 9, "init_temperature": 1.0, "verbose": False,
    "track_stats": True, "log_dir": None, "metric_threshold": None,
}
#: ``MIPROv2.compile``'s parameters besides student/trainset/valset (and the deprecated
#: ``requires_permission_to_run``), in DSPy's order
COMPILE_DEFAULTS: Mapping[str, Any] = {
    "teacher": None, "num_trials": None, "max_bootstrapped_demos": None, "max_labeled_demos": None, "seed": None,
    "minibatch": True, "minibatch_size": 35, "minibatch_full_eval_steps": 5, "program_aware_proposer": True,
    "data_aware_proposer": True, "view_data_batch_size": 10, "tip_aware_proposer": True,
    "fewshot_aware_proposer": True, "provide_traceback": None,
}


#: DSPy's ``get_program_with_highest_avg_score`` fails with a bare ``ValueError`` when every
#: combination tried on minibatches was already evaluated in full; both backends say why instead.
EXHAUSTED = ("No valid program found in param_score_dict")
EXHAUSTED_MESSAGE = ("{module_type}: every instruction/demo combination tried so far was already evaluated on the "
                     "whole valset, so the next full evaluation has nothing to evaluate (DSPy 3.4's MIPROv2 fails "
                     "here too); use a larger minibatch_full_eval_steps, fewer num_trials or more num_candidates, "
                     "or minibatch=False")


def _count(module_type: str, name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"{module_type}: {name} must be an integer >= {minimum}, got {value!r}")


def check_config(module_type: str, config: Mapping[str, Any]) -> None:
    """``create``'s options: ``auto`` and ``num_candidates`` go together as DSPy requires."""
    auto = config.get("auto", "light")
    if auto not in AUTO:
        raise InputError(f"{module_type}: auto must be one of {AUTO}, got {auto!r}")
    if auto is None and config.get("num_candidates") is None:
        raise InputError(f"{module_type} with auto=None needs num_candidates= (and num_trials= at dspex.compile)")
    if auto is not None and config.get("num_candidates") is not None:
        raise InputError(f"{module_type}: auto={auto!r} sets num_candidates itself; pass auto=None to choose "
                         f"num_candidates")
    if config.get("num_candidates") is not None:
        _count(module_type, "num_candidates", config["num_candidates"], 1)
    for name in ("max_bootstrapped_demos", "max_labeled_demos"):
        if name in config:
            _count(module_type, name, config[name], 0)
    if config.get("num_threads") is not None:
        _count(module_type, "num_threads", config["num_threads"], 1)
    if config.get("max_errors") is not None:
        _count(module_type, "max_errors", config["max_errors"], 1)


def check_compile(module_type: str, config: Mapping[str, Any], options: Mapping[str, Any], trainset_size: int,
                  valset_size: int | None) -> None:
    """``dspex.compile``'s options against the optimizer's config and the sets' sizes."""
    auto = config.get("auto", "light")
    if auto is None and options.get("num_trials") is None:
        raise InputError(f"{module_type} with auto=None needs num_trials= in dspex.compile(...)")
    if auto is not None and options.get("num_trials") is not None:
        raise InputError(f"{module_type}: auto={auto!r} sets num_trials itself; create the optimizer with auto=None "
                         f"to choose num_trials")
    if options.get("num_trials") is not None:
        _count(module_type, "num_trials", options["num_trials"], 0)
    for name in ("minibatch_size", "minibatch_full_eval_steps", "view_data_batch_size"):
        if name in options:
            _count(module_type, name, options[name], 1)
    if valset_size is None and trainset_size < 2:
        raise InputError(f"{module_type} without a valset splits the trainset, which needs at least 2 examples; got "
                         f"{trainset_size}")
    size = valset_size if valset_size is not None else min(1000, max(1, int(trainset_size * 0.8)))
    minibatch = options.get("minibatch", True)
    if auto is not None:  # the valset is sampled down to val_size, and minibatches go with its size
        size = min(size, AUTO_RUN_SETTINGS[auto]["val_size"])
        minibatch = size > MIN_MINIBATCH_SIZE
    minibatch_size = options.get("minibatch_size", 35)
    if minibatch and minibatch_size > size:
        raise InputError(f"{module_type}: minibatch_size={minibatch_size} exceeds the validation set ({size} "
                         f"examples); pass minibatch=False or a smaller minibatch_size")
    bootstrapped = _effective(config, options, "max_bootstrapped_demos")
    labeled = _effective(config, options, "max_labeled_demos")
    if bootstrapped == 0 and labeled > 0 and fewshot_candidates(config) > 3:
        raise InputError(f"{module_type}: max_bootstrapped_demos=0 with max_labeled_demos={labeled}: the seeded demo "
                         f"sets draw between 1 and max_bootstrapped_demos bootstrapped demos; set "
                         f"max_bootstrapped_demos >= 1, or max_labeled_demos=0 too for instructions only")


def _effective(config: Mapping[str, Any], options: Mapping[str, Any], name: str) -> int:
    value = options.get(name)
    return value if value is not None else config.get(name, INIT_DEFAULTS[name])


def fewshot_candidates(config: Mapping[str, Any]) -> int:
    """How many demo sets MIPROv2 makes per predictor (``auto``'s ``n``, else ``num_candidates``)."""
    auto = config.get("auto", "light")
    return AUTO_RUN_SETTINGS[auto]["n"] if auto is not None else config["num_candidates"]
