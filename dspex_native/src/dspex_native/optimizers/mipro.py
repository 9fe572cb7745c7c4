"""DSPy 3.4's ``MIPROv2.compile``, step for step, with one ``random.Random(seed)`` shared by every
step as in DSPy.

0. Sets: without a valset, the last 80% of the trainset (at most 1000) is the valset. With
   ``auto``, the valset is a sample of ``val_size`` (``rng.sample``), minibatching is on when it
   has more than 50 examples, and ``n`` fixes the candidate counts and the number of trials
   (``int(max(2 * variables * log2(n), 1.5 * n))``, two variables per predictor unless zero-shot).
1. Demo sets (DSPy's ``create_n_fewshot_demo_sets``, run on the task model): per seed from -3
   to ``N - 4``: none, ``LabeledFewShot(max_labeled_demos)``, ``BootstrapFewShot`` on the
   trainset as it is, then ``BootstrapFewShot`` on the trainset shuffled by the shared ``rng``
   with ``rng.randint(1, max_bootstrapped_demos)`` demos. Zero-shot (both limits 0) bootstraps
   three demos per set, only to ground the proposals.
2. Instructions: :class:`~dspex_native.optimizers.proposer.Proposer`; each predictor's first
   candidate is replaced by its own instructions.
3. Search (optuna's ``TPESampler(seed=seed, multivariate=True)``, maximizing): the default
   program is scored on the whole valset and added as a trial; each trial picks an instruction
   (and a demo set) per predictor and is scored on the whole valset, or, with minibatching, on
   ``rng.sample`` of ``minibatch_size`` examples, every ``minibatch_full_eval_steps + 1``-th trial
   (and the last) adding a full evaluation of the best-averaging combination not yet fully
   evaluated, which optuna also learns from. An evaluation that fails scores 0.0. The result is
   the program with the best full-valset score (the default program if none beat it).

DSPy logs as it goes and attaches its trial logs and candidate programs to the result
(``track_stats``); natively the lines go to the ``dspex_native.optimizers`` logger and nothing
is attached. ``log_dir`` gets DSPy's ``evaluated_programs/program_<trial>.json`` files.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import warnings
from typing import Any, Callable, Mapping

from dspex_core.backend import mipro_rules
from dspex_core.errors import CapabilityError, InputError

from dspex_native import _not_implemented
from dspex_native.optimizers.bootstrap import LOGGER, BootstrapConfig, bootstrap_few_shot
from dspex_core.demo_rules import labeled
from dspex_native.optimizers.program import Program
from dspex_native.optimizers.proposer import DEMOS_IN_CONTEXT, Proposer


def import_optuna() -> Any:
    """optuna, the only outside library an optimizer needs (installed with the extra). Without it
    native cannot search, which is a :class:`CapabilityError`: the router may compile on another
    backend that has it."""
    try:
        import optuna
    except ModuleNotFoundError as error:
        if error.name != "optuna":
            raise
        raise CapabilityError(f"{_not_implemented.WITHOUT_OPTUNA}: optuna is not installed") from None
    return optuna


class Settings:
    """What one compile runs with, after DSPy's defaults, ``auto`` and the set split."""

    __slots__ = ("trainset", "valset", "num_trials", "minibatch", "instruct_candidates", "fewshot_candidates",
                 "max_bootstrapped_demos", "max_labeled_demos", "zeroshot", "seed", "rng")

    def __init__(self, config: Mapping[str, Any], options: Mapping[str, Any], predictors: int,
                 trainset: list[Any], valset: list[Any] | None):
        bootstrapped = options["max_bootstrapped_demos"]
        self.max_bootstrapped_demos = bootstrapped if bootstrapped is not None else config["max_bootstrapped_demos"]
        labeled_demos = options["max_labeled_demos"]
        self.max_labeled_demos = labeled_demos if labeled_demos is not None else config["max_labeled_demos"]
        self.zeroshot = self.max_bootstrapped_demos == 0 and self.max_labeled_demos == 0
        self.seed = options["seed"] or config["seed"]
        self.rng = random.Random(self.seed)
        if valset is None:
            size = min(1000, max(1, int(len(trainset) * 0.80)))
            cutoff = len(trainset) - size
            trainset, valset = trainset[:cutoff], trainset[cutoff:]
        self.trainset = trainset
        auto = config["auto"]
        if auto is None:
            self.num_trials = options["num_trials"]
            self.minibatch = options["minibatch"]
            self.instruct_candidates = self.fewshot_candidates = config["num_candidates"]
        else:
            run = mipro_rules.AUTO_RUN_SETTINGS[auto]
            valset = minibatch_of(valset, run["val_size"], self.rng)
            self.minibatch = len(valset) > mipro_rules.MIN_MINIBATCH_SIZE
            self.instruct_candidates = run["n"] if self.zeroshot else int(run["n"] * 0.5)
            self.fewshot_candidates = run["n"]
            variables = predictors * (1 if self.zeroshot else 2)
            self.num_trials = int(max(2 * variables * math.log2(run["n"]), 1.5 * run["n"]))
            LOGGER.info("RUNNING WITH THE FOLLOWING %s AUTO RUN SETTINGS: num_trials: %s, minibatch: %s, "
                        "num_fewshot_candidates: %s, num_instruct_candidates: %s, valset size: %s", auto.upper(),
                        self.num_trials, self.minibatch, self.fewshot_candidates, self.instruct_candidates,
                        len(valset))
        self.valset = valset


def minibatch_of(items: list[Any], size: int, rng: random.Random) -> list[Any]:
    """DSPy's ``create_minibatch``: ``rng.sample`` of the indices."""
    return [items[i] for i in rng.sample(range(len(items)), min(size, len(items)))]


def demo_sets(student: Program, teacher: Program | None, trainset: list[Any], settings: Settings, lm: Any,
              bootstrap: Callable[[int], BootstrapConfig]) -> dict[int, list[list[Any]]]:
    """DSPy's ``create_n_fewshot_demo_sets``: ``{predictor index: [demos per set]}``."""
    names = student.predictor_names()
    max_labeled = 0 if settings.zeroshot else settings.max_labeled_demos
    max_bootstrapped = DEMOS_IN_CONTEXT if settings.zeroshot else settings.max_bootstrapped_demos
    sets: dict[int, list[list[Any]]] = {i: [] for i in range(len(names))}
    last = settings.fewshot_candidates - 3
    for seed in range(-3, last):
        LOGGER.info("Bootstrapping set %d/%d", seed + 4, last + 3)
        trainset_copy = list(trainset)
        if seed == -3:
            demos: Mapping[str, list[Any]] = {name: [] for name in names}
        elif seed == -2 and max_labeled > 0:
            demos = labeled(names, trainset_copy, max_labeled)
        else:
            size = max_bootstrapped
            if seed != -1:
                settings.rng.shuffle(trainset_copy)
                size = settings.rng.randint(1, max_bootstrapped)
            state = bootstrap_few_shot(bootstrap(size, max_labeled), student, teacher, trainset_copy, lm)
            demos = {name: list(predictor.demos) for name, predictor in student.named_predictors(state)}
        for i, name in enumerate(names):
            sets[i].append(list(demos[name]))
    return sets


class Search:
    """Step 3: the optuna study over instructions and demo sets."""

    def __init__(self, student: Program, instructions: dict[int, list[str]],
                 demo_candidates: dict[int, list[list[Any]]] | None, settings: Settings,
                 score: Callable[[Any, list[Any]], Any], options: Mapping[str, Any], log_dir: str | None,
                 verbose: bool, module_type: str = "mipro_v2"):
        self.module_type = module_type
        self.student = student
        self.names = student.predictor_names()
        self.instructions = instructions
        self.demo_candidates = demo_candidates
        self.settings = settings
        self.valset = settings.valset
        self.score = score
        self.minibatch_size = options["minibatch_size"]
        self.full_eval_steps = options["minibatch_full_eval_steps"]
        self.log_dir = log_dir
        self.verbose = verbose
        self.param_scores: dict[str, list[tuple[Any, Any, dict[str, int]]]] = {}
        self.fully_evaluated: dict[str, Any] = {}
        self.candidates: dict[tuple[int, ...], Any] = {}

    def evaluate(self, state: Any, size: int) -> Any:
        """DSPy's ``eval_candidate_program``: the whole valset, else a minibatch drawn by ``rng``;
        an evaluation that fails scores 0.0."""
        devset = self.valset if size >= len(self.valset) else minibatch_of(self.valset, size, self.settings.rng)
        try:
            return self.score(state, devset)
        except CapabilityError:
            raise  # native cannot run it: the whole compile goes to another backend
        except Exception as error:  # noqa: BLE001 - DSPy's rule
            LOGGER.error("An exception occurred during evaluation: %s", error)
            return 0.0

    def distributions(self, optuna: Any) -> dict[str, Any]:
        categorical = optuna.distributions.CategoricalDistribution
        out = {}
        for i in range(len(self.instructions)):
            out[f"{i}_predictor_instruction"] = categorical(range(len(self.instructions[i])))
            if self.demo_candidates:
                out[f"{i}_predictor_demos"] = categorical(range(len(self.demo_candidates[i])))
        return out

    def save(self, state: Any, name: str) -> None:
        if self.log_dir is None:
            return
        folder = os.path.join(self.log_dir, "evaluated_programs")
        os.makedirs(folder, exist_ok=True)
        self.student.compiled(state, bootstrapped=False).save(os.path.join(folder, f"program_{name}.json"))

    def run(self) -> Any:
        optuna = import_optuna()
        minibatch, num_trials, steps = self.settings.minibatch, self.settings.num_trials, self.full_eval_steps
        adjusted = (num_trials + num_trials // steps + 1 + (1 if num_trials % steps else 0)) if minibatch \
            else num_trials
        LOGGER.info("== Trial 1 / %d - Full Evaluation of Default Program ==", adjusted)
        default_score = self.evaluate(self.student.state, len(self.valset))
        LOGGER.info("Default program score: %s", default_score)
        self.save(self.student.state, "-1")
        best = {"score": default_score, "state": self.student.state}

        def objective(trial: Any) -> Any:
            trial_num = trial.number + 1
            LOGGER.info("== Trial %d / %d%s ==", trial_num, adjusted, " - Minibatch" if minibatch else "")
            chosen, raw = [], {}
            instructions, demos = {}, {}
            for i, name in enumerate(self.names):
                index = trial.suggest_categorical(f"{i}_predictor_instruction", range(len(self.instructions[i])))
                instructions[name] = self.instructions[i][index]
                chosen.append(f"Predictor {i}: Instruction {index}")
                raw[f"{i}_predictor_instruction"] = index
                if self.demo_candidates:
                    index = trial.suggest_categorical(f"{i}_predictor_demos", range(len(self.demo_candidates[i])))
                    demos[name] = self.demo_candidates[i][index]
                    chosen.append(f"Predictor {i}: Few-Shot Set {index}")
                    raw[f"{i}_predictor_demos"] = index
            key = tuple(raw.values())
            state = self.candidates.get(key)
            if state is None:  # a combination tried again runs on the same (immutable) state
                state = self.candidates[key] = self.student.with_candidate(instructions, demos)
            if self.verbose:
                for name in self.names:
                    LOGGER.info("Predictor %s: instructions %r", name, instructions[name])
            size = self.minibatch_size if minibatch else len(self.valset)
            score = self.evaluate(state, size)
            if not minibatch and score > best["score"]:
                best.update(score=score, state=state)
                LOGGER.info("Best full score so far! Score: %s", score)
            self.save(state, str(trial_num))
            LOGGER.info("Score: %s %swith parameters %s.", score,
                        f"on minibatch of size {size} " if minibatch else "", chosen)
            self.param_scores.setdefault(",".join(chosen), []).append((score, state, raw))
            if minibatch and (trial_num % (steps + 1) == 0 or trial_num == adjusted - 1):
                self.full_evaluation(optuna, study, trial_num, best)
            return score

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=self.settings.seed, multivariate=True)
        with _optuna_quiet(optuna):
            study = optuna.create_study(direction="maximize", sampler=sampler)
            defaults = {f"{i}_predictor_instruction": 0 for i in range(len(self.names))}
            if self.demo_candidates:
                defaults.update({f"{i}_predictor_demos": 0 for i in range(len(self.names))})
            study.add_trial(optuna.trial.create_trial(params=defaults, distributions=self.distributions(optuna),
                                                      value=default_score))
            study.optimize(objective, n_trials=num_trials)
        LOGGER.info("Returning best identified program with score %s!", best["score"])
        return best["state"]

    def full_evaluation(self, optuna: Any, study: Any, trial_num: int, best: dict[str, Any]) -> None:
        """DSPy's ``_perform_full_evaluation``: the best-averaging combination not yet fully
        evaluated, on the whole valset, added to the study as a trial."""
        ranked = sorted(((key, sum(v[0] for v in values) / len(values), values[0][1], values[0][2])
                         for key, values in self.param_scores.items()), key=lambda entry: entry[1], reverse=True)
        found = next((entry for entry in ranked if entry[0] not in self.fully_evaluated), None)
        if found is None:
            raise InputError(mipro_rules.EXHAUSTED_MESSAGE.format(module_type=self.module_type))
        key, mean, state, params = found
        LOGGER.info("===== Trial %d - Full Evaluation: next top averaging program (Avg Score: %s) =====",
                    trial_num + 1, mean)
        score = self.evaluate(state, len(self.valset))
        study.add_trial(optuna.trial.create_trial(params=params, distributions=self.distributions(optuna),
                                                  value=score))
        self.fully_evaluated[key] = score
        self.save(state, f"{trial_num + 1}_full_eval")
        if score > best["score"]:
            LOGGER.info("New best full eval score! Score: %s", score)
            best.update(score=score, state=state)


@contextlib.contextmanager
def _optuna_quiet(optuna: Any) -> Any:
    """optuna at WARNING while the study runs (DSPy sets it so for good; this puts it back)."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def mipro(module_type: str, config: Mapping[str, Any], options: Mapping[str, Any], student: Program,
          teacher: Program | None, trainset: list[Any], valset: list[Any] | None, task_lm: Any, prompt_lm: Any,
          score: Callable[[Any, list[Any]], Any]) -> Any:
    """The compiled program's state (``score(state, devset)`` evaluates a state as DSPy's
    ``Evaluate`` and gives the score)."""
    import_optuna()  # before any LM call
    settings = Settings(config, options, len(student.predictor_names()), trainset, valset)

    def bootstrap(size: int, max_labeled: int) -> BootstrapConfig:
        return BootstrapConfig(config["metric"], config["metric_threshold"], config["teacher_settings"], size,
                               max_labeled, 1, config["max_errors"])

    LOGGER.info("==> STEP 1: BOOTSTRAP FEWSHOT EXAMPLES <==")
    candidates = demo_sets(student, teacher, settings.trainset, settings, task_lm, bootstrap)
    LOGGER.info("==> STEP 2: PROPOSE INSTRUCTION CANDIDATES <==")
    proposer = Proposer(student, settings.trainset, prompt_lm, settings.rng,
                        view_data_batch_size=options["view_data_batch_size"],
                        program_aware=options["program_aware_proposer"], data_aware=options["data_aware_proposer"],
                        tip_aware=options["tip_aware_proposer"], fewshot_aware=options["fewshot_aware_proposer"],
                        init_temperature=config["init_temperature"])
    instructions = proposer.propose(candidates, settings.instruct_candidates)
    signatures = student.signatures()
    for i, name in enumerate(student.predictor_names()):
        instructions[i][0] = signatures[name]["instructions"]
        for j, text in enumerate(instructions[i]):
            LOGGER.info("Proposed instruction %d for predictor %d: %s", j, i, text)
    LOGGER.info("==> STEP 3: FINDING OPTIMAL PROMPT PARAMETERS <==")
    search = Search(student, instructions, None if settings.zeroshot else candidates, settings, score, options,
                    config["log_dir"], config["verbose"], module_type)
    return search.run()
