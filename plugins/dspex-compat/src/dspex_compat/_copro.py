"""DSPy's ``COPRO``: instruction and output-prefix search for each predictor, breadth by depth.

The prompt model (``prompt_model``, else the configured LM) proposes ``breadth - 1`` instructions
and prefixes for each predictor (plus the current one); each candidate is scored with the layer's
``Evaluate`` on the training set, the best kept, and for ``depth`` rounds new candidates are asked
for from the attempts so far and their scores. Prompts and the search are DSPy's; every LM call is
a dspex reference.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any, Callable

from dspex_compat._fields import InputField, OutputField
from dspex_compat._predict import Predict
from dspex_compat._settings import settings
from dspex_compat._signature import Signature
from dspex_compat._teleprompter import Teleprompter

__all__ = ["COPRO", "BasicGenerateInstruction", "GenerateInstructionGivenAttempts"]


def _logger() -> Any:
    import logging

    return logging.getLogger("dspy.teleprompt.copro_optimizer")


class BasicGenerateInstruction(Signature):
    """You are an instruction optimizer for large language models. I will give you a ``signature`` of fields (inputs and outputs) in English. Your task is to propose an instruction that will lead a good language model to perform the task well. Don't be afraid to be creative."""  # noqa: E501 - DSPy's prompt

    basic_instruction = InputField(desc="The initial instructions before optimization")
    proposed_instruction = OutputField(desc="The improved instructions for the language model")
    proposed_prefix_for_output_field = OutputField(
        desc="The string at the end of the prompt, which will help the model start solving the task")


class GenerateInstructionGivenAttempts(Signature):
    """You are an instruction optimizer for large language models. I will give some task instructions I've tried, along with their corresponding validation scores. The instructions are arranged in increasing order based on their scores, where higher scores indicate better quality.

    Your task is to propose a new instruction that will lead a good language model to perform the task even better. Don't be afraid to be creative."""  # noqa: E501 - DSPy's prompt

    attempted_instructions = InputField()
    proposed_instruction = OutputField(desc="The improved instructions for the language model")
    proposed_prefix_for_output_field = OutputField(
        desc="The string at the end of the prompt, which will help the model start solving the task")


def _stats() -> dict[str, list[Any]]:
    return {"depth": [], "max": [], "average": [], "min": [], "std": []}


def _record(stats: dict[str, list[Any]], depth: int, scores: list[float]) -> None:
    stats["depth"].append(depth)
    stats["max"].append(max(scores))
    stats["average"].append(sum(scores) / len(scores))
    stats["min"].append(min(scores))
    stats["std"].append(statistics.pstdev(scores))


class COPRO(Teleprompter):
    def __init__(self, prompt_model: Any = None, metric: Callable | None = None, breadth: int = 10, depth: int = 3,
                 init_temperature: float = 1.4, track_stats: bool = False, **_kwargs: Any):
        if breadth <= 1:
            raise ValueError("Breadth must be greater than 1")
        self.metric = metric
        self.breadth = breadth
        self.depth = depth
        self.init_temperature = init_temperature
        self.prompt_model = prompt_model
        self.track_stats = track_stats

    def _check_candidates_equal(self, candidate1: dict, candidate2: dict) -> bool:
        for p1, p2 in zip(candidate1["program"].predictors(), candidate2["program"].predictors(), strict=False):
            if p1.signature.instructions != p2.signature.instructions:
                return False
            *_, last1 = p1.signature.fields.values()
            *_, last2 = p2.signature.fields.values()
            if last1 != last2:
                return False
        return True

    def _drop_duplicates(self, candidates: list[dict]) -> list[dict]:
        final: list[dict] = []
        last_batch: list[dict] = []
        last_score: Any = -1
        for c in candidates:
            repeat = False
            if c["score"] == last_score:
                repeat = any(self._check_candidates_equal(c, c2) for c2 in last_batch)
                if not repeat:
                    last_batch.append(c)
            else:
                last_batch = [c]
                last_score = c["score"]
            if not repeat:
                final.append(c)
        return final

    def _propose(self, signature: Any, n: int, **inputs: Any) -> Any:
        predict = Predict(signature, n=n, temperature=self.init_temperature)
        if self.prompt_model:
            with settings.context(lm=self.prompt_model):
                return predict(**inputs)
        return predict(**inputs)

    @staticmethod
    def _with(predictor: Any, instruction: str, prefix: str) -> Any:
        *_, last_key = predictor.signature.fields.keys()
        return predictor.signature.with_instructions(instruction).with_updated_fields(last_key, prefix=prefix)

    def compile(self, student: Any, *, trainset: list[Any], eval_kwargs: dict | None = None) -> Any:
        from dspex_compat._evaluate import Evaluate

        eval_kwargs = eval_kwargs or {}
        module = student.deepcopy()
        evaluate = Evaluate(devset=trainset, metric=self.metric, **eval_kwargs)
        total_calls = 0
        results_best = {id(p): _stats() for p in module.predictors()}
        results_latest = {id(p): _stats() for p in module.predictors()}
        candidates: dict[int, Any] = {}
        evaluated: dict[int, dict] = defaultdict(dict)

        for predictor in module.predictors():
            *_, last_key = predictor.signature.fields.keys()
            basic_instruction = predictor.signature.instructions
            basic_prefix = predictor.signature.fields[last_key].json_schema_extra["prefix"]
            instruct = self._propose(BasicGenerateInstruction, self.breadth - 1, basic_instruction=basic_instruction)
            instruct.completions.proposed_instruction.append(basic_instruction)
            instruct.completions.proposed_prefix_for_output_field.append(basic_prefix)
            candidates[id(predictor)] = instruct.completions
            evaluated[id(predictor)] = {}

        latest_candidates = all_candidates = candidates
        module_clone = module.deepcopy()
        d = 0
        for d in range(self.depth):
            _logger().info(f"Iteration Depth: {d + 1}/{self.depth}.")
            latest_scores: list[float] = []
            for p_i, (p_old, p_new) in enumerate(zip(module.predictors(), module_clone.predictors(), strict=False)):
                candidates_ = latest_candidates[id(p_old)]
                if len(module.predictors()) > 1:
                    candidates_ = all_candidates[id(p_old)]
                for c_i, c in enumerate(candidates_):
                    instruction = c.proposed_instruction.strip('"').strip()
                    prefix = c.proposed_prefix_for_output_field.strip('"').strip()
                    p_new.signature = self._with(p_new, instruction, prefix)
                    _logger().info(f"At Depth {d + 1}/{self.depth}, Evaluating Prompt Candidate #{c_i + 1}/"
                                   f"{len(candidates_)} for Predictor {p_i + 1} of {len(module.predictors())}.")
                    score = evaluate(module_clone, devset=trainset, **eval_kwargs).score
                    total_calls += 1
                    seen = evaluated[id(p_old)].get((instruction, prefix))
                    if seen is None or seen["score"] < score:
                        evaluated[id(p_old)][(instruction, prefix)] = {
                            "score": score, "program": module_clone.deepcopy(), "instruction": instruction,
                            "prefix": prefix, "depth": d}
                    if len(candidates_) - self.breadth <= c_i:
                        latest_scores.append(score)
                if self.track_stats:
                    _record(results_latest[id(p_old)], d, latest_scores)
                best = max(evaluated[id(p_old)].values(), key=lambda candidate: candidate["score"])
                p_new.signature = self._with(p_new, best["instruction"], best["prefix"])
            if d == self.depth - 1:
                break
            new_candidates: dict[int, Any] = {}
            for p_base in module.predictors():
                attempts: list[str] = []
                shortest_len = min(len(evaluated[id(p_base)]), self.breadth)
                best_predictors = sorted(evaluated[id(p_base)].values(), key=lambda x: x["score"], reverse=True)
                if self.track_stats:
                    _record(results_best[id(p_base)], d, [x["score"] for x in best_predictors][:10])
                for i in range(shortest_len - 1, -1, -1):
                    attempts.append(f'Instruction #{shortest_len - i}: {best_predictors[i]["instruction"]}')
                    attempts.append(f'Prefix #{shortest_len - i}: {best_predictors[i]["prefix"]}')
                    attempts.append(f'Resulting Score #{shortest_len - i}: {best_predictors[i]["score"]}')
                instr = self._propose(GenerateInstructionGivenAttempts, self.breadth, attempted_instructions=attempts)
                new_candidates[id(p_base)] = instr.completions
                all_candidates[id(p_base)].proposed_instruction.extend(instr.completions.proposed_instruction)
                all_candidates[id(p_base)].proposed_prefix_for_output_field.extend(
                    instr.completions.proposed_prefix_for_output_field)
            latest_candidates = new_candidates

        found: list[dict] = []
        for predictor in module.predictors():
            found.extend(evaluated[id(predictor)].values())
            if self.track_stats:
                best_predictors = sorted(evaluated[id(predictor)].values(), key=lambda x: x["score"], reverse=True)
                _record(results_best[id(predictor)], d, [x["score"] for x in best_predictors][:10])
        found.sort(key=lambda x: x["score"], reverse=True)
        found = self._drop_duplicates(found)
        best_program = found[0]["program"]
        best_program.candidate_programs = found
        best_program.total_calls = total_calls
        if self.track_stats:
            best_program.results_best = results_best
            best_program.results_latest = results_latest
        return best_program
