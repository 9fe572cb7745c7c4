"""A toy task and a scripted LM for the optimizers and agents dspex serves through dspy only.

The task: ``question -> answer`` where the answer is the question's word in capitals. The LM
answers it correctly only when the prompt shows it how: demos in the prompt, or the word
``SHOUT`` in the instructions. Every other request (an optimizer's proposal, reflection, rule
induction or advice) gets :data:`PROPOSAL`, which says ``SHOUT``: so an optimizer that really
puts demos or the proposed instructions into the program raises the score from 0 to 100, and one
that does not leaves it at 0.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dspy_helpers import chat

import dspex_core as dspex
from dspex_core.testing import RecordingLM

WORDS = ["apple", "river", "stone", "cloud", "tiger", "maple", "ocean", "piano"]
PROPOSAL = "Read the question and SHOUT the word back in capitals."


def _fields(system: str) -> list[str]:
    section = system.split("Your output fields are:", 1)[1].split("All interactions", 1)[0]
    return re.findall(r"^\d+\. `(\w+)`", section, re.M)


def _inputs(text: str) -> dict[str, str]:
    return dict(re.findall(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond|\Z)", text, re.S))


def reply(messages: list[dict[str, Any]], settings: dict[str, Any], lucky_rollout: int | None = None) -> str:
    """The scripted LM's answer to one request (see the module docstring); with ``lucky_rollout``, a
    request with that ``rollout_id`` answers the task right too (a sample that happens to be good)."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    if "Your output fields are:" not in system:
        return f"```\n{PROPOSAL}\n```"  # a raw prompt (GEPA's reflection): the instruction in a fenced block
    outputs = _fields(system)
    inputs = _inputs(messages[-1]["content"])
    if outputs[-1:] == ["answer"] and "question" in inputs:
        word = inputs["question"].strip()
        knows = len(messages) > 2 or "SHOUT" in system.split("your objective is:", 1)[-1]
        knows = knows or (lucky_rollout is not None and settings.get("rollout_id") == lucky_rollout)
        fields = {"reasoning": "Think."} if "reasoning" in outputs else {}
        return chat(**fields, answer=word.upper() if knows else word)
    values: dict[str, Any] = {}
    for name in outputs:
        if name == "module_advice":  # SIMBA's rule: advice per predictor name
            values[name] = {"self": PROPOSAL, "predict": PROPOSAL}
        else:
            values[name] = PROPOSAL
    if "JSON object" in messages[-1]["content"]:  # JSONAdapter (GEPA's proposer uses it)
        return json.dumps(values)
    return chat(**values)


def toy_lm(lucky_rollout: int | None = None) -> RecordingLM:
    """A ``RecordingLM`` answering with :func:`reply`."""
    return RecordingLM(lambda messages, settings: reply(messages, settings, lucky_rollout))


def examples(words: list[str]) -> list[dspex.Example]:
    return [dspex.Example(question=w, answer=w.upper()).with_inputs("question") for w in words]


def exact(example: Any, pred: Any, trace: Any = None) -> float:
    return float(example.answer == pred.answer)


def score(ref: Any, devset: list[dspex.Example]) -> float:
    """dspex's Evaluate: percent of exact answers."""
    evaluate = dspex.Evaluate.create(devset=devset, metric=exact, num_threads=1, implementation="dspy")
    return dspex.execute(evaluate, {"program": ref}).score


TRAIN = examples(WORDS[:4])
DEV = examples(WORDS[4:])
