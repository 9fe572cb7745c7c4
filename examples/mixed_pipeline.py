"""A pipeline whose steps run on different backends: native and dspy side by side.

Shows ``dspex.pipeline``: each step names its backend (``"native"``, ``"dspy"`` or ``"auto"``),
its outputs merge into a running state that later steps read, and a step that reads a field no
earlier step produces is rejected when the pipeline is built. ``run_pipeline`` reports which
backend served each step and how long it took. Needs dspex-dspy (dspy 3.4) for its dspy step.

    python examples/mixed_pipeline.py [--lm openai/gpt-4o-mini] [--query "..."]
"""

import argparse

import dspex_core as dspex
from _common import require_dspy, setup, short


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--query", default="why do programs beat prompts for language models")

    args = setup(__doc__.splitlines()[0], arguments)
    require_dspy("mixed_pipeline.py")
    pipe = dspex.pipeline([
        ("native", dspex.Signature, {"spec": "query -> keywords: list[str]", "name": "keywords"}),
        ("dspy", dspex.ChainOfThought, {"signature": "keywords: list[str] -> summary", "name": "summary"}),
        ("auto", dspex.Predict, {"signature": "summary -> title", "name": "title"}),
        ("native", dspex.Template, {"template": "{title}\n{summary}", "name": "render"}),
    ])
    for step in pipe.steps:
        print(f"step {step.name}: asked {step.implementation}, built on {step.backend}, "
              f"reads {list(step.inputs)}, produces {list(step.outputs)}")
    result = dspex.run_pipeline(pipe, {"query": args.query})
    print("served by: " + ", ".join(f"{s.name}={s.backend} ({s.duration * 1000:.1f} ms)" for s in result.steps))
    print(f"keywords: {result['keywords']}")
    print(f"text: {short(result.text)}")

    try:
        dspex.pipeline([("native", dspex.Template, {"template": "{missing}"})], inputs=["query"])
    except dspex.InputError as error:
        print(f"rejected at build time: {short(error, 80)}")


if __name__ == "__main__":
    main()
