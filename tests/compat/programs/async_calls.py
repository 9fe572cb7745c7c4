"""A module called with acall() from asyncio, and a predictor given lm= and config= per call."""

import asyncio
import json

import dspy
from dspy.utils import DummyLM


class Summarize(dspy.Module):
    def __init__(self):
        super().__init__()
        self.summary = dspy.Predict("document -> summary")

    async def aforward(self, document):
        return await self.summary.acall(document=document)

    def forward(self, document):
        return self.summary(document=document)


lm = DummyLM([{"summary": "short"}, {"summary": "shorter"}, {"summary": "per-call"}])
dspy.configure(lm=lm)
program = Summarize()


async def main():
    return await program.acall(document="A long text."), await program.acall(document="Another text.")


one, two = asyncio.run(main())
other = DummyLM([{"summary": "other lm"}])
three = program.summary(document="Third.", lm=other, config={"temperature": 0.5})
print(json.dumps({
    "results": [one.summary, two.summary, three.summary],
    "messages": [entry["messages"] for entry in lm.history + other.history],
    "kwargs": [entry["kwargs"] for entry in other.history],
}))
