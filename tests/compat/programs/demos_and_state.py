"""Demos, follow_examples, the JSON adapter, and loading saved state into a new program."""

import json
import sys
import tempfile
from pathlib import Path

import dspy
from dspy.utils import DummyLM


class Classify(dspy.Module):
    def __init__(self):
        super().__init__()
        self.label = dspy.Predict("text -> label")
        self.explain = dspy.ChainOfThought("text, label -> explanation")

    def forward(self, text):
        label = self.label(text=text).label
        return self.explain(text=text, label=label)


program = Classify()
program.label.demos = [dspy.Example(text="great movie", label="positive"),
                       dspy.Example(text="awful plot", label="negative")]
lm = DummyLM([{"label": "positive"}, {"reasoning": "Upbeat words.", "explanation": "The text praises it."}],
             adapter=dspy.JSONAdapter())
with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
    first = program(text="loved every minute")

path = Path(tempfile.mkdtemp()) / "classify.json"
program.save(str(path))
loaded = Classify()
loaded.load(str(path))
follow = DummyLM([], follow_examples=True)
with dspy.context(lm=follow):
    copied = loaded.label(text="awful plot")

fresh = program.reset_copy()
print(json.dumps({
    "first": dict(first.items()),
    "follow": dict(copied.items()),
    "loaded_demos": [dict(d.items()) for d in loaded.label.demos],
    "reset_demos": [len(p.demos) for p in fresh.predictors()],
    "messages": [entry["messages"] for entry in lm.history + follow.history],
    "state": {k: v for k, v in json.loads(path.read_text()).items() if k != "metadata"},
}))
