"""DSPy 3.4's ``BootstrapFewShotWithRandomSearch.compile``, step for step.

Candidate seeds run from -3 to ``num_candidate_programs - 1`` (only those in ``restrict`` when
given): -3 is the program without demos, -2 ``LabeledFewShot(max_labeled_demos)``, -1
``BootstrapFewShot`` on the trainset as it is, and seed ``s >= 0`` ``BootstrapFewShot`` with
``max_bootstrapped_demos = random.Random(s).randint(1, max_bootstrapped_demos)`` on the trainset
shuffled by ``random.Random(s)``. Each candidate is evaluated on the valset (the trainset when
there is none) as ``dspy.Evaluate`` does (native ``evaluate``, ``num_threads`` threads); the
first candidate with the highest score wins, and ``stop_at_score`` ends the search early.
DSPy prints the scores as it goes; natively they go to the ``dspex_native.optimizers`` logger.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping

from dspex_core.errors import InputError

from dspex_native.optimizers.bootstrap import LOGGER, BootstrapConfig, DEFAULT_MAX_ERRORS, bootstrap_few_shot
from dspex_core.demo_rules import labeled
from dspex_native.optimizers.program import Program


class RandomSearchConfig:
    """``BootstrapFewShotWithRandomSearch``'s options, with DSPy's defaults."""

    __slots__ = ("metric", "teacher_settings", "max_bootstrapped_demos", "max_labeled_demos", "max_rounds",
                 "num_candidate_programs", "num_threads", "max_errors", "stop_at_score", "metric_threshold")

    def __init__(self, metric: Callable[..., Any], teacher_settings: Mapping[str, Any] | None = None,
                 max_bootstrapped_demos: int = 4, max_labeled_demos: int = 16, max_rounds: int = 1,
                 num_candidate_programs: int = 16, num_threads: int | None = None, max_errors: int | None = None,
                 stop_at_score: Any = None, metric_threshold: Any = None):
        self.metric = metric
        self.teacher_settings = dict(teacher_settings or {})
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.max_rounds = max_rounds
        self.num_candidate_programs = num_candidate_programs
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.stop_at_score = stop_at_score
        self.metric_threshold = metric_threshold


def check_restrict(restrict: Any, candidates: int) -> set[int] | None:
    if restrict is None:
        return None
    restrict = set(restrict)
    if not restrict.intersection(range(-3, candidates)):
        raise InputError(f"`restrict` {restrict!r} does not match any candidate seed in range(-3, {candidates}); "
                         f"no candidate programs would be evaluated.")
    return restrict


def random_search(config: RandomSearchConfig, student: Program, teacher: Program | None, trainset: list[Any],
                  valset: list[Any] | None, lm: Any, restrict: Any = None, labeled_sample: bool = True,
                  evaluate: Callable[[Any, list[Any]], Any] | None = None) -> tuple[Any, bool]:
    """The best candidate's state and whether it was bootstrapped (``evaluate(state, devset)`` gives
    an object with ``score``)."""
    valset = valset or trainset
    restrict = check_restrict(restrict, config.num_candidate_programs)
    max_errors = config.max_errors if config.max_errors is not None else DEFAULT_MAX_ERRORS
    names = student.predictor_names()
    scores: list[Any] = []
    best: tuple[Any, bool] | None = None
    for seed in range(-3, config.num_candidate_programs):
        if restrict is not None and seed not in restrict:
            continue
        trainset_copy = list(trainset)
        if seed == -3:
            state, bootstrapped = student.with_demos({name: [] for name in names}), False
        elif seed == -2:
            state = student.with_demos(labeled(names, trainset_copy, config.max_labeled_demos, labeled_sample))
            bootstrapped = False
        else:
            size = config.max_bootstrapped_demos
            if seed >= 0:
                random.Random(seed).shuffle(trainset_copy)
                size = random.Random(seed).randint(1, config.max_bootstrapped_demos)
            bootstrap = BootstrapConfig(config.metric, config.metric_threshold, config.teacher_settings, size,
                                        config.max_labeled_demos, config.max_rounds, max_errors)
            state, bootstrapped = bootstrap_few_shot(bootstrap, student, teacher, trainset_copy, lm), True
        score = evaluate(state, valset).score
        if not scores or score > max(scores):
            LOGGER.info("New best score: %s for seed %s", score, seed)
            best = (state, bootstrapped)
        scores.append(score)
        LOGGER.info("Scores so far: %s; best score so far: %s", scores, max(scores))
        if config.stop_at_score is not None and score >= config.stop_at_score:
            LOGGER.info("Stopping early because score %s is >= stop_at_score %s", score, config.stop_at_score)
            break
    assert best is not None  # check_restrict leaves at least one seed
    return best
