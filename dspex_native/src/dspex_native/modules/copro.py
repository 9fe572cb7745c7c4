"""The native ``copro``: DSPy's ``COPRO`` (coordinate ascent over each predictor's instructions
and output prefix).

The prompt model proposes instructions (DSPy's ``BasicGenerateInstruction`` and
``GenerateInstructionGivenAttempts`` requests, ``n`` completions at ``init_temperature``), each
candidate is scored on the trainset with the native ``evaluate`` (``eval_kwargs`` as DSPy's
``Evaluate`` takes them), and the best program wins. The algorithm is
:mod:`dspex_native.optimizers.copro`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import CapabilityError, InputError

from dspex_native import _not_implemented
from dspex_native.optimizers.copro import copro
from dspex_native.optimizers.implementation import OptimizerImplementation, check_count
from dspex_native.optimizers.program import Program
from dspex_native.optimizers.scoring import evaluate_state

INIT_DEFAULTS = {"prompt_model": None, "metric": None, "breadth": 10, "depth": 3, "init_temperature": 1.4,
                 "track_stats": False}


#: What DSPy's COPRO passes ``eval_kwargs`` to: both ``Evaluate(...)`` and its call take these
EVAL_KWARGS = ("num_threads", "display_progress", "display_table")
#: ... and these, which write files or feed callbacks (not native yet)
EVAL_KWARGS_NOT_NATIVE = ("save_as_csv", "save_as_json", "callback_metadata")


def check_eval_kwargs(eval_kwargs: Any) -> dict[str, Any]:
    if eval_kwargs is None:
        return {}
    if not isinstance(eval_kwargs, Mapping):
        raise InputError(f"copro: eval_kwargs must be a dict of Evaluate options, got {type(eval_kwargs).__name__}")
    unknown = [name for name in eval_kwargs if name not in EVAL_KWARGS + EVAL_KWARGS_NOT_NATIVE]
    if unknown:
        accepted = ", ".join(EVAL_KWARGS + EVAL_KWARGS_NOT_NATIVE)
        raise InputError(f"copro: eval_kwargs {', '.join(map(repr, unknown))} not accepted (DSPy's COPRO passes "
                         f"them to both Evaluate(...) and its call, which take {accepted})")
    files = [name for name in eval_kwargs if name in EVAL_KWARGS_NOT_NATIVE]
    if files:
        raise CapabilityError(f"copro: eval_kwargs {', '.join(map(repr, files))}: {_not_implemented.EVAL_FILES}")
    return dict(eval_kwargs)


class CoproImplementation(OptimizerImplementation):
    """``create(metric, prompt_model=None, breadth=10, depth=3, init_temperature=1.4, track_stats=False)``;
    compile option ``eval_kwargs`` (``num_threads``, ``max_errors``, ``display_progress``, ...)."""

    module_type = "copro"
    dspy_class_name = "COPRO"
    init_defaults = INIT_DEFAULTS
    compile_defaults = {"eval_kwargs": None}
    metric_required = True
    bootstraps = False
    not_implemented = (_not_implemented.FOREIGN_PROGRAM, _not_implemented.EVAL_FILES)

    def check_config(self, config: dict[str, Any]) -> None:
        breadth = config.get("breadth")
        if isinstance(breadth, (int, float)) and not isinstance(breadth, bool) and breadth <= 1:
            raise InputError(f"{self.module_type}: dspy.COPRO rejected the config: Breadth must be greater than 1")
        check_count(self.module_type, config, "breadth", 2)
        check_count(self.module_type, config, "depth", 1)  # DSPy's COPRO scores nothing and fails with depth=0
        if not isinstance(config.get("init_temperature"), (int, float)) or isinstance(config["init_temperature"], bool):
            raise InputError(f"{self.module_type}: init_temperature must be a number, "
                             f"got {config['init_temperature']!r}")

    def run(self, config: Mapping[str, Any], student: Program, teacher: Program | None, trainset: list[Any],
            valset: list[Any] | None, lm: Any, options: Mapping[str, Any]) -> tuple[Any, bool]:
        eval_kwargs = check_eval_kwargs(options.get("eval_kwargs"))

        def score(state: Any) -> Any:
            return evaluate_state(student, state, trainset, config["metric"], **eval_kwargs).score

        prompt_lm = config["prompt_model"] if config["prompt_model"] is not None else lm
        state = copro(student, trainset, breadth=config["breadth"], depth=config["depth"],
                      init_temperature=config["init_temperature"], prompt_lm=prompt_lm, score=score)
        return state, False


implementation = CoproImplementation()
