"""DSPy's ``BetterTogether``: optimizers run in a sequence (a strategy such as ``"p -> w -> p"``),
each step's program scored on a validation set, the best one kept.

The steps are the optimizers given by keyword (``BetterTogether(metric, p=..., child=...)``), by
default ``p``: ``BootstrapFewShotWithRandomSearch`` and ``w``: DSPy's ``BootstrapFinetune``.
Weight optimization (fine-tuning the program's models) is not built on dspex, so a strategy that
reaches the default ``w`` step is refused with ``NotImplementedError`` before any step runs;
strategies of prompt optimizers run as in DSPy, every predictor call a dspex reference.

As in DSPy, the helpers a run calls (``eval_candidate_program``, ``launch_lms``, ``kill_lms``,
``Evaluate``...) are read from ``dspy.teleprompt.bettertogether`` when they are called, so a
program that replaces one there (``mock.patch("dspy.teleprompt.bettertogether.launch_lms")``)
changes what the run does, as with DSPy, whose ``BetterTogether`` reads its module's globals.
"""

from __future__ import annotations

import inspect
import logging
import random
import sys
from typing import Any, Callable

from dspex_compat._candidate_evaluation import eval_candidate_program
from dspex_compat._evaluate import Evaluate
from dspex_compat._program_lms import all_predictors_have_lms, assert_all_predictors_have_lms, kill_lms, launch_lms
from dspex_compat._random_search import BootstrapFewShotWithRandomSearch
from dspex_compat._settings import settings
from dspex_compat._student_teacher import prepare_student, prepare_teacher
from dspex_compat._teleprompter import Teleprompter

__all__ = ["BetterTogether", "WeightOptimizationNotBuilt", "eval_candidate_program", "launch_lms", "kill_lms"]

#: where DSPy defines BetterTogether (its logger's name, and the module whose globals a run reads)
DSPY_MODULE = "dspy.teleprompt.bettertogether"
logger = logging.getLogger(DSPY_MODULE)


def _dspy_global(name: str) -> Any:
    """``name`` as ``dspy.teleprompt.bettertogether`` holds it now (the layer's module, once imported;
    a program may have replaced it there), else this module's own."""
    from dspex_compat._install import _from_shim

    module = sys.modules.get(DSPY_MODULE)
    if module is not None and _from_shim(module) and hasattr(module, name):
        return getattr(module, name)
    return globals()[name]


class WeightOptimizationNotBuilt(Teleprompter):
    """The default ``w`` step: DSPy's ``BootstrapFinetune`` (fine-tuning the program's LMs), which
    dspex does not build. ``BetterTogether`` refuses a strategy naming it before any step runs."""

    def __init__(self, metric: Callable | None = None):
        self.metric = metric

    def compile(self, student: Any, *, trainset: list[Any], teacher: Any = None,
                valset: list[Any] | None = None) -> Any:
        raise NotImplementedError(
            "dspy.teleprompt.BootstrapFinetune (weight optimization) is not built in dspex-compat; "
            "use prompt optimizers only (install dspy to fine-tune)")


class BetterTogether(Teleprompter):
    """Prompt and weight optimizers applied in a configurable sequence (DSPy's meta-optimizer), on dspex."""

    STRAT_SEP = " -> "

    def __init__(self, metric: Callable, **optimizers: Teleprompter):
        self.metric = metric
        if not optimizers:
            logger.info("No optimizers provided. Using defaults: BootstrapFewShotWithRandomSearch (p) and "
                        "BootstrapFinetune (w, not built on dspex). You can use the letters p and w to specify "
                        "the compile strategy.")
            optimizers = {"p": BootstrapFewShotWithRandomSearch(metric=metric),
                          "w": WeightOptimizationNotBuilt(metric=metric)}
        for key, optimizer in optimizers.items():
            if not isinstance(optimizer, Teleprompter):
                raise TypeError(f"Optimizer '{key}' must be a Teleprompter, got {type(optimizer).__name__}")
        self.optimizers: dict[str, Teleprompter] = optimizers

    def compile(self, student: Any, *, trainset: list[Any], teacher: Any = None, valset: list[Any] | None = None,
                num_threads: int | None = None, max_errors: int | None = None, provide_traceback: bool | None = None,
                seed: int | None = None, valset_ratio: float = 0.1, shuffle_trainset_between_steps: bool = True,
                strategy: str = "p -> w -> p",
                optimizer_compile_args: dict[str, dict[str, Any]] | None = None) -> Any:
        """Run the strategy's optimizers in order on the student; the best-scoring program comes back
        (the latest one without a validation set), with ``candidate_programs`` (best first) and
        ``flag_compilation_error_occurred`` (a step failed: the run stopped there)."""
        logger.info(f"BetterTogether compilation started; strategy: {strategy}; trainset size: {len(trainset)}")
        student, teacher = self._prepare_student_and_teacher(student, teacher)
        trainset, valset = self._prepare_trainset_and_valset(trainset, valset, valset_ratio)
        max_errors = max_errors if max_errors is not None else settings.max_errors
        steps = self._prepare_strategy(strategy)
        compile_args = self._prepare_optimizer_compile_args(optimizer_compile_args, teacher)
        best = self._run_strategies(student, trainset, teacher, valset, num_threads, max_errors, provide_traceback,
                                    seed, steps, shuffle_trainset_between_steps, compile_args)
        logger.info(f"BetterTogether compilation complete; best score: {best.candidate_programs[0]['score']}, "
                    f"strategy: {best.candidate_programs[0]['strategy'] or 'original (no optimization)'}")
        best._compiled = True
        return best

    # -- checking the arguments (DSPy's errors) ---------------------------------------------------
    def _prepare_student_and_teacher(self, student: Any, teacher: Any) -> tuple[Any, list[Any] | None]:
        """The student (not compiled yet, an LM on every predictor) and the teachers as a list (or ``None``)."""
        student = _dspy_global("prepare_student")(student)
        _dspy_global("assert_all_predictors_have_lms")(student, role="student")
        if not teacher:
            return student, None
        teachers = teacher if isinstance(teacher, list) else [teacher]
        return student, [_dspy_global("prepare_teacher")(student, t) for t in teachers]

    def _prepare_trainset_and_valset(self, trainset: list[Any], valset: list[Any] | None,
                                     valset_ratio: float) -> tuple[list[Any], list[Any] | None]:
        """The training and validation sets: the given valset, else the trainset's first ``valset_ratio``."""
        if not trainset:
            raise ValueError("trainset cannot be empty")
        if valset_ratio < 0 or valset_ratio >= 1:
            raise ValueError(f"valset_ratio must be in range [0, 1), got {valset_ratio}")
        trainset = trainset[:]  # shuffled between steps: the caller's list stays as it is
        if valset:
            return trainset, valset
        if valset_ratio == 0:
            return trainset, None
        held_out = int(valset_ratio * len(trainset))
        return trainset[held_out:], trainset[:held_out]

    def _prepare_strategy(self, strategy: str) -> list[str]:
        """The strategy's optimizer keys, checked; a weight step is refused here, before any step runs,
        since dspex does not build it."""
        if not strategy or not strategy.strip():
            raise ValueError("strategy cannot be empty")
        steps = strategy.split(self.STRAT_SEP)
        invalid = [step for step in steps if step not in self.optimizers]
        if invalid:
            raise ValueError(f"Strategy contains invalid optimizer keys: {invalid}. "
                             f"Valid keys are: {list(self.optimizers.keys())}")
        weight_steps = [step for step in steps if isinstance(self.optimizers[step], WeightOptimizationNotBuilt)]
        if weight_steps:
            raise NotImplementedError(
                f"BetterTogether strategy {strategy!r} reaches the weight optimization step {weight_steps[0]!r} "
                "(dspy.teleprompt.BootstrapFinetune), which is not built in dspex-compat: use a strategy of "
                "prompt optimizers only (e.g. 'p'), or install dspy to fine-tune")
        return steps

    def _prepare_optimizer_compile_args(self, optimizer_compile_args: dict[str, dict[str, Any]] | None,
                                        teacher: list[Any] | None) -> dict[str, dict[str, Any]]:
        """The per-optimizer ``compile`` arguments, each checked against its optimizer."""
        if not optimizer_compile_args:
            return {}
        for key, args in optimizer_compile_args.items():
            if key not in self.optimizers:
                raise ValueError(f"Invalid optimizer key '{key}'. Valid keys are: {list(self.optimizers.keys())}")
            optimizer = self.optimizers[key]
            self._validate_compile_args(optimizer, key, args)
            if type(optimizer).__name__ == "GEPA" and teacher is not None:
                raise ValueError("GEPA does not accept a teacher argument. Please remove the teacher argument.")
        return optimizer_compile_args

    def _validate_compile_args(self, optimizer: Teleprompter, optimizer_key: str, compile_args: dict[str, Any]) -> None:
        """No ``student`` (BetterTogether passes its own), and only what the optimizer's ``compile`` takes."""
        if "student" in compile_args:
            raise ValueError(f"'student' is not allowed in optimizer_compile_args for optimizer '{optimizer_key}'. "
                             "The same student is used throughout compilation.")
        accepted = inspect.signature(optimizer.compile).parameters
        unknown = set(compile_args) - set(accepted)
        if unknown:
            raise ValueError(f"Invalid compile arguments for optimizer '{optimizer_key}': {sorted(unknown)}. "
                             f"{type(optimizer).__name__}.compile() accepts: {list(accepted)}")

    # -- running the steps ------------------------------------------------------------------------
    def _run_strategies(self, student: Any, trainset: list[Any], teacher: list[Any] | None,
                        valset: list[Any] | None, num_threads: int | None, effective_max_errors: int | None,
                        provide_traceback: bool | None, seed: int | None, parsed_strategy: list[str],
                        shuffle_trainset_between_steps: bool, optimizer_args: dict[str, dict[str, Any]]) -> Any:
        """The baseline, then each step in turn (a failing step ends the run); the chosen program carries
        every candidate, best first (the earlier on ties), and whether a step failed."""
        rng = random.Random(seed)
        candidates: list[dict[str, Any]] = []
        failed = False
        _dspy_global("launch_lms")(student)
        evaluation = (rng, num_threads, effective_max_errors, provide_traceback)
        self._add_candidate(candidates, student, "", self._evaluate_on_valset(student, valset, *evaluation))
        for index, key in enumerate(parsed_strategy):
            strategy = self.STRAT_SEP.join(parsed_strategy[:index + 1])
            optimizer = self.optimizers[key]
            logger.info(f"Step {index + 1}/{len(parsed_strategy)}: {type(optimizer).__name__} (strategy '{strategy}')")
            try:
                if shuffle_trainset_between_steps:
                    rng.shuffle(trainset)
                student, score, _, _ = self._run_and_evaluate_step(
                    optimizer, student, teacher, trainset, valset, optimizer_args.get(key, {}), candidates, strategy,
                    *evaluation)
                logger.info(f"Score after {strategy!r}: {score}")
            except Exception as exc:
                failed = True
                logger.error(f"Step {index + 1}/{len(parsed_strategy)} failed with error: {type(exc).__name__}: {exc}")
                logger.error("Stopping optimization early. Returning best program found so far from "
                             f"{len(candidates)} candidate(s).", exc_info=True)
                break
        _dspy_global("kill_lms")(student)
        order = sorted(range(len(candidates)), key=lambda i: (
            candidates[i]["score"] if candidates[i]["score"] is not None else float("-inf"), -i), reverse=True)
        ranked = [candidates[i] for i in order]
        chosen = ranked[0] if valset else candidates[-1]  # without a valset: the latest program
        best = chosen["program"]
        best.candidate_programs = ranked
        best.flag_compilation_error_occurred = failed
        return best

    def _run_and_evaluate_step(self, optimizer: Teleprompter, student: Any, teacher: list[Any] | None,
                               trainset: list[Any], valset: list[Any] | None, compile_args: dict[str, Any],
                               candidate_programs: list[dict[str, Any]], current_strategy: str, rng: random.Random,
                               num_threads: int | None, effective_max_errors: int | None,
                               provide_traceback: bool | None) -> tuple[Any, float | None, bool, bool]:
        """One optimizer on the student (given the arguments its ``compile`` accepts), then its score
        recorded: (program, score, whether it is the best so far, whether its LMs were relaunched)."""
        lms_before = [predictor.lm for predictor in student.predictors()]
        student._compiled = False
        offered = {"trainset": trainset, "teacher": teacher, "valset": valset, **compile_args}
        accepted = inspect.signature(optimizer.compile).parameters
        student = optimizer.compile(student, **{k: v for k, v in offered.items() if k in accepted})
        if not _dspy_global("all_predictors_have_lms")(student):  # an optimizer that reset them (reset_copy)
            logger.warning(f"Warning: {type(optimizer).__name__} incorrectly reset predictor LMs. "
                           "Restoring to original LMs.")
            for predictor, lm in zip(student.predictors(), lms_before, strict=False):
                predictor.lm = lm
        relaunched = self._models_changed(student, lms_before)
        if relaunched:  # new models (a fine-tuned one): launched before scoring
            _dspy_global("launch_lms")(student)
        score = self._evaluate_on_valset(student, valset, rng, num_threads, effective_max_errors, provide_traceback)
        self._add_candidate(candidate_programs, student, current_strategy, score)
        scores = [c["score"] for c in candidate_programs if c["score"] is not None]
        is_new_best = score is not None and score >= max(scores, default=float("-inf"))
        return student, score, is_new_best, relaunched

    def _models_changed(self, student: Any, pred_lms_before: list[Any]) -> bool:
        """Whether a predictor's model name changed in the step (a fine-tuned model replaced it)."""
        after = [predictor.lm for predictor in student.predictors()]
        return [lm.model if lm else None for lm in pred_lms_before] != [lm.model if lm else None for lm in after]

    def _add_candidate(self, candidate_programs: list[dict[str, Any]], student: Any, strategy: str,
                       score: float | None) -> None:
        candidate_programs.append({"score": score, "program": student.deepcopy(), "strategy": strategy})

    def _evaluate_on_valset(self, program: Any, valset: list[Any] | None, rng: random.Random,
                            num_threads: int | None, effective_max_errors: int | None,
                            provide_traceback: bool | None) -> float | None:
        """The program's score on the validation set (``None`` without one)."""
        if not valset:
            return None
        evaluate = _dspy_global("Evaluate")(
            devset=valset, metric=self.metric, num_threads=num_threads, max_errors=effective_max_errors,
            display_table=False, display_progress=True, provide_traceback=provide_traceback)
        return _dspy_global("eval_candidate_program")(len(valset), valset, program, evaluate, rng).score
