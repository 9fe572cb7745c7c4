"""Classification with ``Literal`` outputs: the LM must pick one of the given labels.

Shows a class-based signature whose output is a ``Literal[...]``: the adapter lists the allowed
values in the prompt and a reply outside them fails to parse, so ``pred.label`` is always one of
the labels. A second output, ``confidence: float``, comes back as a Python float. The same
signature can also be written as a string: ``"text -> label: Literal['a', 'b']"``.

    python examples/classification.py [--lm openai/gpt-4o-mini]
"""

from typing import Literal, get_args

import dspex_core as dspex
from _common import setup, short

Label = Literal["positive", "negative", "neutral"]

REVIEWS = [
    "The battery lasts two days and the screen is gorgeous.",
    "It stopped working after a week and support never answered.",
    "It arrived on Tuesday in a brown box.",
]


class Sentiment(dspex.Signature):
    """Classify the sentiment of a product review."""

    text: str = dspex.InputField()
    label: Label = dspex.OutputField()
    confidence: float = dspex.OutputField(desc="between 0 and 1")


def main() -> None:
    setup(__doc__.splitlines()[0])
    classify = dspex.Predict.create(Sentiment)
    print(f"labels: {', '.join(get_args(Label))} (served by {classify.backend})")
    for review in REVIEWS:
        pred = classify(text=review)
        assert pred.label in get_args(Label)
        print(f"{pred.label:>8} ({pred.confidence:.2f}): {short(review, 60)}")


if __name__ == "__main__":
    main()
