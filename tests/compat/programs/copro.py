"""COPRO on an unmodified program: instruction candidates from a prompt model, scored by Evaluate."""

import json

import dspy
from dspy.teleprompt import COPRO
from dspy.utils import DummyLM


class Sentiment(dspy.Module):
    def __init__(self):
        super().__init__()
        self.classify = dspy.Predict("text -> label")

    def forward(self, text):
        return self.classify(text=text)


trainset = [dspy.Example(text=t, label=lab).with_inputs("text")
            for t, lab in [("I loved it", "positive"), ("Terrible", "negative"), ("Great fun", "positive")]]
task_lm = DummyLM({"I loved it": {"label": "positive"}, "Terrible": {"label": "negative"},
                   "Great fun": {"label": "neutral"}})
proposals = [{"proposed_instruction": f"Classify the sentiment, attempt {i}.",
              "proposed_prefix_for_output_field": f"Label {i}:"} for i in range(12)]
prompt_lm = DummyLM(proposals)
dspy.configure(lm=task_lm)


def exact(example, prediction, trace=None):
    return example.label == prediction.label


optimizer = COPRO(prompt_model=prompt_lm, metric=exact, breadth=3, depth=2, track_stats=True)
best = optimizer.compile(Sentiment(), trainset=trainset, eval_kwargs={"num_threads": 1, "display_progress": False})
print(json.dumps({
    "instructions": [p.signature.instructions for p in best.predictors()],
    "candidates": [[c["instruction"], c["prefix"], c["score"], c["depth"]] for c in best.candidate_programs],
    "total_calls": best.total_calls,
    "results_best": [v for v in best.results_best.values()],
    "prompt_messages": [entry["messages"] for entry in prompt_lm.history],
    "prompt_kwargs": [entry["kwargs"] for entry in prompt_lm.history],
    "task_calls": len(task_lm.history),
}))
