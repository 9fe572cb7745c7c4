"""Multi-hop question answering: search, read, write a follow-up query, search again, answer.

Shows a program made of several modules in plain Python: a ``Retrieve`` over the bundled corpus
(examples/data/corpus.json) and a ChainOfThought that writes the next search query from what
was found so far, looped for two hops, then a ChainOfThought that answers from every passage
gathered. The default question needs two facts that no single passage holds together.

    python examples/multi_hop.py [--lm openai/gpt-4o-mini] [--question "..."] [--hops 2]
"""

import argparse

import dspex_core as dspex
from _common import corpus_rm, load_corpus, setup, short


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--question", default="In which country was the creator of Python born?")
        parser.add_argument("--hops", type=int, default=2)

    args = setup(__doc__.splitlines()[0], arguments)
    retrieve = dspex.Retrieve.create(rm=corpus_rm(load_corpus()), k=2)
    next_query = dspex.ChainOfThought.create("context: list[str], question -> search_query")
    answer = dspex.ChainOfThought.create("context: list[str], question -> answer")

    print(f"question: {args.question}")
    context: list[str] = []
    query = args.question
    for hop in range(1, args.hops + 1):
        if hop > 1:
            query = next_query(context=context, question=args.question).search_query
        found = [p for p in retrieve(query=query).passages if p not in context]
        context.extend(found)
        print(f"hop {hop}: query = {short(query, 60)} -> {len(found)} new passage(s), "
              f"first: {short(found[0] if found else '-', 60)}")
    pred = answer(context=context, question=args.question)
    print(f"answer from {len(context)} passages: {short(pred.answer)}")


if __name__ == "__main__":
    main()
