"""Question answering: the same question asked with Predict and with ChainOfThought.

Shows the smallest dspex program: a string signature, a module created through the router
(which picks the native backend when it is installed), a call, and the prediction's fields.
ChainOfThought adds a ``reasoning`` field before the answer.

    python examples/question_answering.py [--lm openai/gpt-4o-mini] [--question "..."]
"""

import argparse

import dspex_core as dspex
from _common import setup, short


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--question", default="Who invented the World Wide Web?")

    args = setup(__doc__.splitlines()[0], arguments)
    predict = dspex.Predict.create("question -> answer")
    cot = dspex.ChainOfThought.create("question -> answer")
    print(f"question: {args.question}")
    print(f"Predict ({predict.backend}): answer = {short(predict(question=args.question).answer)}")
    thought = cot(question=args.question)
    print(f"ChainOfThought ({cot.backend}): reasoning = {short(thought.reasoning)}")
    print(f"ChainOfThought ({cot.backend}): answer = {short(thought.answer)}")


if __name__ == "__main__":
    main()
