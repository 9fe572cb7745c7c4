"""Optimize with BootstrapFewShot, save the program, load it back and serve it natively.

Shows ``dspex.compile``: the optimizer runs the program on a trainset, keeps the traces the
metric accepts as demos (plus labeled examples), and returns a new program; the original is
unchanged. The compiled program is saved in DSPy's JSON format (``ref.save``), loaded with
``dspex.load(..., implementation="native")`` as a server process would, and scored on a
held-out devset before and after. Data: examples/data/trivia.json.

    python examples/optimize_bootstrap.py [--lm openai/gpt-4o-mini]
"""

import tempfile
from pathlib import Path

import dspex_core as dspex
from _common import load_trivia, mentions_answer, setup


def score(program: dspex.ModuleRef, devset: list[dspex.Example]) -> float:
    evaluate = dspex.Evaluate.create(devset=devset, metric=mentions_answer, num_threads=4, display_progress=False)
    return dspex.Evaluate.execute(evaluate, {"program": program}).score


def main() -> None:
    setup(__doc__.splitlines()[0])
    examples = load_trivia()
    trainset, devset = examples[:8], examples[8:]
    program = dspex.ChainOfThought.create("question -> answer")
    print(f"baseline on {len(devset)} dev questions: {score(program, devset)}%")

    optimizer = dspex.BootstrapFewShot.create(metric=mentions_answer, max_bootstrapped_demos=2, max_labeled_demos=2)
    compiled = dspex.compile(optimizer, program, trainset=trainset)
    demos = compiled.describe()["demos"]
    print(f"compiled on {compiled.backend}: {len(demos)} demos "
          f"({sum(bool(d.get('augmented')) for d in demos)} bootstrapped), the original keeps "
          f"{len(program.describe()['demos'])}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trivia_bootstrap.json"
        compiled.save(path)
        served = dspex.load(path, implementation="native")
        print(f"saved {path.name} ({path.stat().st_size} bytes), loaded as {served.module_type} on {served.backend}")
    print(f"served program on the devset: {score(served, devset)}%")
    print(f"served answer: {served(question=devset[0].question).answer}")


if __name__ == "__main__":
    main()
