"""A ReAct agent with tools: the LM picks a tool, reads its result, and repeats until it finishes.

Shows ``dspex.ReAct`` with plain Python functions as tools: their names, docstrings and type
hints describe them to the LM, their arguments are checked against those hints, and a tool that
raises becomes an error observation instead of a crash. The trajectory (thought, tool, args,
observation per step) comes back with the answer. The offline LM picks tools by rule, not by
sense, so its steps only show the mechanics; a real model (``--lm``) uses the tools properly.

    python examples/react_agent.py [--lm openai/gpt-4o-mini] [--question "..."]
"""

import argparse

import dspex_core as dspex
from _common import corpus_rm, load_corpus, setup, short

SEARCH = corpus_rm(load_corpus())


def search_corpus(query: str) -> list[str]:
    """Search the encyclopedia for passages about the query."""
    return SEARCH(query, k=2)


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--question", default="How tall is Mount Everest in feet (1 metre = 3.28084 feet)?")

    args = setup(__doc__.splitlines()[0], arguments)
    agent = dspex.ReAct.create("question -> answer: str", tools=[search_corpus, multiply], max_iters=4)
    pred = agent(question=args.question)
    steps = pred.trajectory
    print(f"question: {args.question}")
    print(f"tools: search_corpus, multiply (agent served by {agent.backend})")
    for i in range(len([key for key in steps if key.startswith("tool_name_")])):
        observation = str(steps.get(f"observation_{i}", ""))
        if observation.startswith("Execution error"):  # the tool raised: show the exception line
            observation = "error: " + observation.strip().splitlines()[-1]
        print(f"step {i}: {steps[f'tool_name_{i}']}({short(steps[f'tool_args_{i}'], 40)}) -> {short(observation, 60)}")
    print(f"answer: {short(pred.answer)}")


if __name__ == "__main__":
    main()
