"""DSPy 3.4's ``COPRO.compile`` (coordinate ascent over instructions), step for step.

1. For each predictor, in order, ask the prompt model (``prompt_model``, else the program's LM)
   for ``breadth - 1`` instructions at ``init_temperature`` with DSPy's ``BasicGenerateInstruction``
   (one request with ``n``), given the predictor's instructions; the predictor's own instructions
   and last-field prefix join them as the last candidate.
2. ``depth`` times: for each predictor, score every candidate (its latest batch; every candidate
   so far when the program has several predictors) by setting it on a working copy of the program
   (instructions stripped of quotes and spaces, the prefix of the signature's last field) and
   evaluating the copy on the trainset (``Evaluate(devset=trainset, metric, **eval_kwargs)``); a
   pair already scored keeps its copy unless the new score is higher. The predictor then keeps its
   best pair (the first of the best scores). Unless this was the last round, each predictor gets
   ``breadth`` new candidates from DSPy's ``GenerateInstructionGivenAttempts``, shown up to
   ``breadth`` scored pairs from the worst of them to the best.
3. The result is the copy saved with the best score over all predictors' candidates (the first
   one scored among equals).

DSPy logs as it goes and attaches statistics to the program (``track_stats``); natively the log
lines go to the ``dspex_native.optimizers`` logger and no statistics are kept.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from dspex_native.optimizers.bootstrap import LOGGER
from dspex_native.optimizers.program import Program

#: DSPy's ``BasicGenerateInstruction`` and ``GenerateInstructionGivenAttempts`` (their docstrings as
#: ``inspect.cleandoc`` reads them, their fields)
BASIC_INSTRUCTIONS = (
    "You are an instruction optimizer for large language models. I will give you a ``signature`` of fields "
    "(inputs and outputs) in English. Your task is to propose an instruction that will lead a good language model "
    "to perform the task well. Don't be afraid to be creative.")
GIVEN_ATTEMPTS_INSTRUCTIONS = (
    "You are an instruction optimizer for large language models. I will give some task instructions I've tried, "
    "along with their corresponding validation scores. The instructions are arranged in increasing order based on "
    "their scores, where higher scores indicate better quality.\n\nYour task is to propose a new instruction that "
    "will lead a good language model to perform the task even better. Don't be afraid to be creative.")
_PROPOSED = (("proposed_instruction", "The improved instructions for the language model"),
             ("proposed_prefix_for_output_field",
              "The string at the end of the prompt, which will help the model start solving the task"))


@functools.cache
def _generator(attempts: bool) -> Any:
    from dspex_core.backend import Field, Signature

    if attempts:
        inputs = {"attempted_instructions": Field("attempted_instructions", "input", str, None)}
        instructions = GIVEN_ATTEMPTS_INSTRUCTIONS
    else:
        inputs = {"basic_instruction": Field("basic_instruction", "input", str,
                                             "The initial instructions before optimization")}
        instructions = BASIC_INSTRUCTIONS
    outputs = {name: Field(name, "output", str, desc) for name, desc in _PROPOSED}
    return Signature.from_fields(inputs, outputs, instructions)


def propose(attempts: bool, inputs: Mapping[str, Any], n: int, temperature: float, lm: Any) -> list[list[str]]:
    """``dspy.Predict(signature, n=n, temperature=temperature)(**inputs).completions`` as two columns:
    the proposed instructions and the proposed prefixes."""
    from dspex_native.predictor import call
    from dspex_native.predictor.state import build_state

    state = build_state("predict", _generator(attempts), {}, {"n": n, "temperature": temperature})
    completions = call.execute(state, dict(inputs), lm=lm).completions
    return [[c["proposed_instruction"] for c in completions],
            [c["proposed_prefix_for_output_field"] for c in completions]]


class _Scored:
    __slots__ = ("score", "state", "instruction", "prefix", "depth")

    def __init__(self, score: Any, state: Any, instruction: str, prefix: str, depth: int):
        self.score = score
        self.state = state
        self.instruction = instruction
        self.prefix = prefix
        self.depth = depth


def copro(program: Program, trainset: list[Any], *, breadth: int, depth: int, init_temperature: float,
          prompt_lm: Any, score: Callable[[Any], Any]) -> Any:
    """The best program's state (``score(state)`` evaluates a state on the trainset)."""
    names = program.predictor_names()
    signatures = program.signatures()
    candidates: dict[str, list[list[str]]] = {}
    for name in names:
        signature = signatures[name]
        basic_instruction, basic_prefix = signature["instructions"], signature["fields"][-1]["prefix"]
        columns = propose(False, {"basic_instruction": basic_instruction}, breadth - 1, init_temperature, prompt_lm)
        columns[0].append(basic_instruction)
        columns[1].append(basic_prefix)
        candidates[name] = columns
    latest, every = candidates, candidates
    current = {name: (signatures[name]["instructions"], signatures[name]["fields"][-1]["prefix"]) for name in names}
    evaluated: dict[str, dict[tuple[str, str], _Scored]] = {name: {} for name in names}
    for d in range(depth):
        LOGGER.info("Iteration Depth: %d/%d.", d + 1, depth)
        for p_i, name in enumerate(names):
            columns = every[name] if len(names) > 1 else latest[name]
            size = len(columns[0])
            for c_i in range(size):
                instruction = columns[0][c_i].strip('"').strip()
                prefix = columns[1][c_i].strip('"').strip()
                current[name] = (instruction, prefix)
                state = program.with_instructions(current)
                LOGGER.info("At Depth %d/%d, Evaluating Prompt Candidate #%d/%d for Predictor %d of %d.", d + 1, depth,
                            c_i + 1, size, p_i + 1, len(names))
                value = score(state)
                known = evaluated[name].get((instruction, prefix))
                if known is None or known.score < value:
                    evaluated[name][(instruction, prefix)] = _Scored(value, state, instruction, prefix, d)
            best = max(evaluated[name].values(), key=lambda scored: scored.score)
            current[name] = (best.instruction, best.prefix)
        if d == depth - 1:
            break
        fresh = {}
        for name in names:
            ranked = sorted(evaluated[name].values(), key=lambda scored: scored.score, reverse=True)
            shown = min(len(ranked), breadth)
            attempts = []
            for i in range(shown - 1, -1, -1):
                attempts.append(f"Instruction #{shown - i}: {ranked[i].instruction}")
                attempts.append(f"Prefix #{shown - i}: {ranked[i].prefix}")
                attempts.append(f"Resulting Score #{shown - i}: {ranked[i].score}")
            columns = propose(True, {"attempted_instructions": attempts}, breadth, init_temperature, prompt_lm)
            fresh[name] = columns
            every[name][0].extend(columns[0])
            every[name][1].extend(columns[1])
        latest = fresh
    scored = [entry for name in names for entry in evaluated[name].values()]
    scored.sort(key=lambda entry: entry.score, reverse=True)
    return scored[0].state
