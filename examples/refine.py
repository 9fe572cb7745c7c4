"""Refine with a reward: run a module up to N times, with feedback, until a reward passes.

Shows ``dspex.Refine`` around a ChainOfThought: the reward function scores each attempt (here:
an answer of at most six words that mentions the question's subject), attempts below the
threshold get LM-written advice fed back as a hint, and the first attempt that reaches the
threshold is returned, else the best one. ``dspex.BestOfN`` takes the same options without
the feedback.

    python examples/refine.py [--lm openai/gpt-4o-mini] [--subject "..."]
"""

import argparse

import dspex_core as dspex
from _common import setup, short


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--subject", default="Haarlem")

    args = setup(__doc__.splitlines()[0], arguments)
    scores: list[float] = []

    def reward(inputs: dict, pred: dspex.Prediction) -> float:
        """1.0 for a short answer that names the subject, 0.5 for either, else 0."""
        score = 0.5 * (len(pred.answer.split()) <= 6) + 0.5 * (args.subject.lower() in pred.answer.lower())
        scores.append(score)
        return score

    answer = dspex.ChainOfThought.create("question -> answer")
    refined = dspex.Refine.create(answer, N=3, reward_fn=reward, threshold=1.0)
    question = f"In at most six words, what is {args.subject} known for?"
    pred = refined(question=question)
    print(f"question: {question}")
    print(f"attempts: {len(scores)}, rewards: {scores} (threshold 1.0, Refine served by {refined.backend})")
    print(f"answer: {short(pred.answer)}")


if __name__ == "__main__":
    main()
