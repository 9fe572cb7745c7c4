"""Evaluation with a progress bar: score a program on a devset with a metric, in threads.

Shows ``dspex.Evaluate``: a devset of ``Example``s (``with_inputs`` marks the inputs), a metric
``(example, prediction, trace=None)``, ``num_threads`` workers and ``display_progress=True``,
which draws DSPy's "Average Metric" bar on stderr. The result has the score (a percentage) and
one ``(example, prediction, score)`` row per example, in devset order. The offline LM only
repeats words of the question, so it passes exactly the questions whose answer it repeats.

    python examples/evaluation.py [--lm openai/gpt-4o-mini] [--threads 4]
"""

import argparse

import dspex_core as dspex
from _common import load_trivia, mentions_answer, setup, short


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--threads", type=int, default=4)

    args = setup(__doc__.splitlines()[0], arguments)
    devset = load_trivia()
    program = dspex.ChainOfThought.create("question -> answer")
    evaluate = dspex.Evaluate.create(devset=devset, metric=mentions_answer, num_threads=args.threads,
                                     display_progress=True)
    result = dspex.Evaluate.execute(evaluate, {"program": program})
    print(f"score: {result.score}% on {len(devset)} examples "
          f"(Evaluate on {evaluate.backend}, program on {program.backend}, {args.threads} threads)")
    for example, pred, passed in result.results[:3]:
        print(f"  {'pass' if passed else 'fail'}: {short(example.question, 50)} -> {short(pred.answer, 40)}")


if __name__ == "__main__":
    main()
