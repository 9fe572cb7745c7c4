"""Optimize instructions with GEPA (reflective prompt evolution), save, and serve natively.

Shows ``dspex.GEPA`` (DSPy's GEPA through the dspy backend; DSPy installs the ``gepa`` package it
runs on): the program runs on mini-batches of the trainset, a reflection LM reads the traces with
the metric's textual feedback and proposes new instructions, and GEPA keeps the best on a Pareto
front of valset scores. The metric returns ``{"score": ..., "feedback": ...}``; the feedback is
what the reflection LM learns from. The budget is tiny (20 metric calls) so that it stays cheap
on a real model. The result is saved in DSPy's JSON, loaded on the native backend and called.
The offline LM proposes placeholder instructions, so the score says little offline.

    python examples/optimize_gepa.py [--lm openai/gpt-4o-mini]
"""

import tempfile
from pathlib import Path
from typing import Any

import dspex_core as dspex
from _common import load_trivia, require_dspy, setup, short


def feedback(example: dspex.Example, pred: dspex.Prediction, trace: Any = None, pred_name: Any = None,
             pred_trace: Any = None) -> dict[str, Any]:
    """GEPA's metric: a score, and a sentence saying what was wrong (the reflection LM reads it)."""
    answer = str(pred.answer)
    if example.answer.lower() in answer.lower():
        return {"score": 1.0, "feedback": "Correct: the answer names the expected entity."}
    return {"score": 0.0, "feedback": f"Wrong: the answer should name {example.answer!r}; it said {short(answer, 60)!r}. "
                                      f"Answer with the name itself, briefly."}


def main() -> None:
    setup(__doc__.splitlines()[0])
    require_dspy("GEPA")
    examples = load_trivia()
    trainset, valset = examples[:6], examples[6:10]
    program = dspex.ChainOfThought.create("question -> answer")

    optimizer = dspex.GEPA.create(metric=feedback, reflection_lm=dspex.settings().lm, max_metric_calls=20,
                                  reflection_minibatch_size=2, num_threads=4, seed=0)
    compiled = dspex.compile(optimizer, program, trainset=trainset, valset=valset)
    print(f"GEPA on {compiled.backend}: instructions: {short(compiled.describe()['instructions'], 80)}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trivia_gepa.json"
        compiled.save(path)
        served = dspex.load(path, implementation="native")
        print(f"saved {path.name}, loaded as {served.module_type} on {served.backend}")
    evaluate = dspex.Evaluate.create(devset=valset, metric=lambda e, p, t=None: feedback(e, p)["score"],
                                     display_progress=False)
    print(f"served program on the valset: {dspex.Evaluate.execute(evaluate, {'program': served}).score}%")


if __name__ == "__main__":
    main()
