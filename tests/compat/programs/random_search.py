"""BootstrapFewShotWithRandomSearch on an unmodified program: candidates scored by Evaluate."""

import json

import dspy
from dspy.teleprompt import BootstrapFewShotWithRandomSearch
from dspy.utils import DummyLM


class Capital(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("country -> capital")

    def forward(self, country):
        return self.answer(country=country)


CAPITALS = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Peru": "Lima", "Chile": "Santiago"}
trainset = [dspy.Example(country=c, capital=k).with_inputs("country") for c, k in CAPITALS.items()]
# one scripted reply per country (found in the last message), wrong for Chile
lm = DummyLM({c: {"capital": k if c != "Chile" else "Valparaiso"} for c, k in CAPITALS.items()})
dspy.configure(lm=lm)


def exact(example, prediction, trace=None):
    return example.capital == prediction.capital


optimizer = BootstrapFewShotWithRandomSearch(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2,
                                             num_candidate_programs=2, num_threads=1)
best = optimizer.compile(Capital(), trainset=trainset)
print(json.dumps({
    "candidates": [[c["seed"], c["score"], c["subscores"]] for c in best.candidate_programs],
    "demos": [[dict(d.items()) for d in p.demos] for p in best.predictors()],
    "calls": len(lm.history),
    "messages": [entry["messages"] for entry in lm.history[-3:]],
}))
