"""BetterTogether with prompt optimizers only: two BootstrapFewShotWithRandomSearch steps, each program
scored on the valset, the best kept; the program's model is launched and killed around the run."""

import json

import dspy
from dspy.teleprompt import BetterTogether, BootstrapFewShotWithRandomSearch
from dspy.utils import DummyLM

EVENTS = []


class HostedLM(DummyLM):
    """A scripted model standing for one the program hosts itself: BetterTogether launches and kills it."""

    def launch(self, launch_kwargs=None):
        EVENTS.append(f"launch {self.model}")

    def kill(self, launch_kwargs=None):
        EVENTS.append(f"kill {self.model}")


class Capital(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("country -> capital")

    def forward(self, country):
        return self.answer(country=country)


CAPITALS = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Peru": "Lima", "Chile": "Santiago",
            "Japan": "Tokyo"}
examples = [dspy.Example(country=c, capital=k).with_inputs("country") for c, k in CAPITALS.items()]
# replies copy the demo whose country the question repeats: a program knows the capitals its demos show
lm = HostedLM([], follow_examples=True)
dspy.configure(lm=lm)


def exact(example, prediction, trace=None):
    return example.capital == prediction.capital


student = Capital()
student.set_lm(lm)
search = BootstrapFewShotWithRandomSearch(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2,
                                          num_candidate_programs=1, num_threads=1)
optimizer = BetterTogether(metric=exact, p=search)
best = optimizer.compile(student, trainset=examples[:4], valset=examples[1:5], strategy="p -> p", seed=0,
                         num_threads=1)
print(json.dumps({
    "candidates": [[c["strategy"], c["score"]] for c in best.candidate_programs],
    "best_is_first": best is best.candidate_programs[0]["program"],
    "failed": best.flag_compilation_error_occurred,
    "demos": [[dict(d.items()) for d in p.demos] for p in best.predictors()],
    "events": EVENTS,
    "calls": len(lm.history),
    "messages": [entry["messages"] for entry in lm.history[-3:]],
}))
