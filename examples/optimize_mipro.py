"""Optimize with MIPROv2 (instructions and demos by Bayesian search), save, and serve natively.

Shows ``dspex.MIPROv2``: it bootstraps demo sets, asks the LM to propose instructions, then
searches the combinations with optuna, scoring each on the valset, and returns the best program;
the native backend runs DSPy 3.4's algorithm (optuna is its one extra: ``pip install
'dspex-native[optimizers]'``). A small search is used (3 candidates, 4 trials) so that it stays
cheap on a real model. The result is saved, loaded on the native backend and called.
The offline LM proposes placeholder instructions, so the search has little to choose from.

    python examples/optimize_mipro.py [--lm openai/gpt-4o-mini]
"""

import sys
import tempfile
from pathlib import Path

import dspex_core as dspex
from _common import load_trivia, mentions_answer, setup, short


def main() -> None:
    setup(__doc__.splitlines()[0])
    examples = load_trivia()
    trainset, valset = examples[:8], examples[8:]
    program = dspex.ChainOfThought.create("question -> answer")

    optimizer = dspex.MIPROv2.create(metric=mentions_answer, auto=None, num_candidates=3, num_threads=4, seed=0,
                                     max_bootstrapped_demos=2, max_labeled_demos=2)
    try:
        compiled = dspex.compile(optimizer, program, trainset=trainset, valset=valset, num_trials=4, minibatch=False)
    except dspex.CapabilityError as error:  # no optuna (and no dspy backend to fall back to)
        sys.exit(f"optimize_mipro.py: {error}")
    state = compiled.describe()
    print(f"MIPROv2 on {compiled.backend}: {len(state['demos'])} demos, "
          f"instructions: {short(state['instructions'], 70)}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trivia_mipro.json"
        compiled.save(path)
        served = dspex.load(path, implementation="native")
        print(f"saved {path.name}, loaded as {served.module_type} on {served.backend}")
    evaluate = dspex.Evaluate.create(devset=valset, metric=mentions_answer, display_progress=False)
    print(f"served program on the valset: {dspex.Evaluate.execute(evaluate, {'program': served}).score}%")
    question = valset[0].question
    print(f"served: {question} -> {short(served(question=question).answer, 60)}")


if __name__ == "__main__":
    main()
