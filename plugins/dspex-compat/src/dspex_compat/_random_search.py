"""DSPy's ``BootstrapFewShotWithRandomSearch``: several few-shot candidates, the best on the valset.

Candidates by seed, as DSPy makes them: -3 the student without demos, -2 labeled demos, -1
``BootstrapFewShot``, then shuffled training sets with a seeded number of bootstrapped demos; each
is scored with ``Evaluate`` (the layer's, every predictor call a dspex reference), and the best
program comes back with every candidate in ``candidate_programs``, best first.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from dspex_compat._bootstrap_few_shot import BootstrapFewShot
from dspex_compat._labeled_few_shot import LabeledFewShot
from dspex_compat._settings import settings
from dspex_compat._teleprompter import Teleprompter

__all__ = ["BootstrapFewShotWithRandomSearch"]


class BootstrapFewShotWithRandomSearch(Teleprompter):
    def __init__(self, metric: Callable, teacher_settings: dict | None = None, max_bootstrapped_demos: int = 4,
                 max_labeled_demos: int = 16, max_rounds: int = 1, num_candidate_programs: int = 16,
                 num_threads: int | None = None, max_errors: int | None = None, stop_at_score: float | None = None,
                 metric_threshold: float | None = None):
        self.metric = metric
        self.teacher_settings = teacher_settings or {}
        self.max_rounds = max_rounds
        self.num_threads = num_threads
        self.stop_at_score = stop_at_score
        self.metric_threshold = metric_threshold
        self.min_num_samples = 1
        self.max_num_samples = max_bootstrapped_demos
        self.max_errors = max_errors
        self.num_candidate_sets = num_candidate_programs
        self.max_labeled_demos = max_labeled_demos
        print(f"Going to sample between {self.min_num_samples} and {self.max_num_samples} traces per predictor.")
        print(f"Will attempt to bootstrap {self.num_candidate_sets} candidate sets.")

    def compile(self, student: Any, *, teacher: Any = None, trainset: list[Any], valset: list[Any] | None = None,
                restrict: Any = None, labeled_sample: bool = True) -> Any:
        from dspex_compat._evaluate import Evaluate

        self.trainset = trainset
        self.valset = valset or trainset
        if restrict is not None:
            restrict = set(restrict)
            if not restrict.intersection(range(-3, self.num_candidate_sets)):
                raise ValueError(f"`restrict` {restrict!r} does not match any candidate seed in "
                                 f"range(-3, {self.num_candidate_sets}); no candidate programs would be evaluated.")
        max_errors = self.max_errors if self.max_errors is not None else settings.max_errors
        scores: list[Any] = []
        score_data: list[dict[str, Any]] = []
        best_program = None
        for seed in range(-3, self.num_candidate_sets):
            if restrict is not None and seed not in restrict:
                continue
            trainset_copy = list(self.trainset)
            if seed == -3:
                program = student.reset_copy()
            elif seed == -2:
                program = LabeledFewShot(k=self.max_labeled_demos).compile(student, trainset=trainset_copy,
                                                                           sample=labeled_sample)
            else:
                size = self.max_num_samples
                if seed >= 0:
                    random.Random(seed).shuffle(trainset_copy)
                    size = random.Random(seed).randint(self.min_num_samples, self.max_num_samples)
                optimizer = BootstrapFewShot(metric=self.metric, metric_threshold=self.metric_threshold,
                                             max_bootstrapped_demos=size, max_labeled_demos=self.max_labeled_demos,
                                             teacher_settings=self.teacher_settings, max_rounds=self.max_rounds,
                                             max_errors=max_errors)
                program = optimizer.compile(student, teacher=teacher, trainset=trainset_copy)
            evaluate = Evaluate(devset=self.valset, metric=self.metric, num_threads=self.num_threads,
                                max_errors=max_errors, display_table=False, display_progress=True)
            result = evaluate(program)
            score, subscores = result.score, [output[2] for output in result.results]
            if not scores or score > max(scores):
                print("New best score:", score, "for seed", seed)
                best_program = program
            scores.append(score)
            print(f"Scores so far: {scores}")
            print(f"Best score so far: {max(scores)}")
            score_data.append({"score": score, "subscores": subscores, "seed": seed, "program": program})
            if self.stop_at_score is not None and score >= self.stop_at_score:
                print(f"Stopping early because score {score} is >= stop_at_score {self.stop_at_score}")
                break
        best_program.candidate_programs = sorted(score_data, key=lambda x: x["score"], reverse=True)
        print(f"{len(best_program.candidate_programs)} candidate programs found.")
        return best_program
