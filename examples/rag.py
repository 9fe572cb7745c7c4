"""Retrieval-augmented generation over a small bundled corpus with a local retriever.

Shows ``dspex.Retrieve`` with an ``rm`` callable: any function ``rm(query, k)`` that returns
passages is a retriever, here a word-overlap search over the twelve passages in
examples/data/corpus.json (no index, no server, no network). The passages become the
``context: list[str]`` input of a ChainOfThought that answers from them.

    python examples/rag.py [--lm openai/gpt-4o-mini] [--question "..."]
"""

import argparse

import dspex_core as dspex
from _common import corpus_rm, load_corpus, setup, short


class AnswerFromContext(dspex.Signature):
    """Answer the question using only the context passages."""

    context: list[str] = dspex.InputField(desc="passages that may contain the answer")
    question: str = dspex.InputField()
    answer: str = dspex.OutputField(desc="a short answer")


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--question", default="When was the Eiffel Tower completed?")

    args = setup(__doc__.splitlines()[0], arguments)
    retrieve = dspex.Retrieve.create(rm=corpus_rm(load_corpus()), k=2)
    generate = dspex.ChainOfThought.create(AnswerFromContext)

    passages = retrieve(query=args.question).passages
    print(f"question: {args.question}")
    for rank, passage in enumerate(passages, 1):
        print(f"retrieved {rank} ({retrieve.backend}): {short(passage)}")
    pred = generate(context=passages, question=args.question)
    print(f"answer ({generate.backend}): {short(pred.answer)}")


if __name__ == "__main__":
    main()
