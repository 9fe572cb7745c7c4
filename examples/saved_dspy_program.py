"""A program saved by plain dspy, served by the native backend: optimize with DSPy, serve natively.

Shows ``dspex.load(path, implementation="native")`` on a file written by ``dspy``'s own
``program.save(...)``: the native backend reads its instructions, field descriptions and demos,
so it sends the LM the same prompt dspy would, without importing dspy. With dspy installed the
example writes the program with plain dspy into a temporary folder first; without it, it loads
examples/data/qa_dspy_program.json, which ``write_with_dspy`` below made with dspy 3.4.1.

    python examples/saved_dspy_program.py [--lm openai/gpt-4o-mini] [--question "..."]
"""

import argparse
import importlib.util
import json
import tempfile
from pathlib import Path

import dspex_core as dspex
from _common import DATA, setup, short


def write_with_dspy(path: Path) -> None:
    """A ChainOfThought with instructions and two demos, saved by dspy itself (no dspex involved)."""
    import dspy

    class Capital(dspy.Signature):
        """Answer with the capital city of the country, and nothing else."""

        question: str = dspy.InputField()
        answer: str = dspy.OutputField(desc="a city name")

    program = dspy.ChainOfThought(Capital)
    program.predict.demos = [
        dspy.Example(question="What is the capital of Italy?", reasoning="Italy's capital is Rome.", answer="Rome"),
        dspy.Example(question="What is the capital of Japan?", reasoning="Japan's capital is Tokyo.", answer="Tokyo"),
    ]
    program.save(str(path))


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--question", default="What is the capital of France?")

    args = setup(__doc__.splitlines()[0], arguments)
    with tempfile.TemporaryDirectory() as folder:
        if importlib.util.find_spec("dspy") is not None:
            path = Path(folder) / "qa_dspy_program.json"
            write_with_dspy(path)
            version = json.loads(path.read_text())["metadata"]["dependency_versions"]["dspy"]
            print(f"saved by dspy {version}: {path.name}")
        else:
            path = DATA / "qa_dspy_program.json"
            print(f"dspy not installed: loading the bundled {path.name}")
        program = dspex.load(path, signature="question -> answer", implementation="native")
        state = program.describe()
        print(f"loaded as {program.module_type} on {program.backend}: {len(state['demos'])} demos, "
              f"instructions: {short(state['instructions'], 60)}")
        pred = program(question=args.question)
    print(f"question: {args.question}")
    print(f"answer (native): {short(pred.answer)}")


if __name__ == "__main__":
    main()
