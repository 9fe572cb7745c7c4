"""An optimizer on an unmodified program: LabeledFewShot and BootstrapFewShot with a metric."""

import json

import dspy
import dspy.utils.callback
from dspy.teleprompt import BootstrapFewShot, LabeledFewShot
from dspy.utils import DummyLM


class Answer(dspy.Module):
    def __init__(self):
        super().__init__()
        self.think = dspy.ChainOfThought("question -> answer")

    def forward(self, question):
        return self.think(question=question)


trainset = [dspy.Example(question=f"What is {i} + {i}?", answer=str(2 * i)).with_inputs("question") for i in range(6)]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


replies = [{"reasoning": f"Add {i} to itself.", "answer": str(2 * i) if i % 3 else "wrong"} for i in range(6)]
lm = DummyLM(replies + [{"reasoning": "Add.", "answer": "14"}])
dspy.configure(lm=lm)



class CompileEvents(dspy.utils.callback.BaseCallback):
    def __init__(self):
        self.events = []

    def on_compile_start(self, call_id, instance, inputs):
        self.events.append(["start", type(instance).__name__, sorted(inputs)])

    def on_compile_end(self, call_id, outputs, exception):
        self.events.append(["end", type(outputs).__name__, repr(exception)])


events = CompileEvents()
dspy.configure(callbacks=[events])
labeled = LabeledFewShot(k=3).compile(Answer(), trainset=trainset)
optimized = BootstrapFewShot(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3).compile(
    Answer(), trainset=trainset)
result = optimized(question="What is 7 + 7?")
print(json.dumps({
    "labeled": [[dict(d.items()) for d in p.demos] for p in labeled.predictors()],
    "demos": [[dict(d.items()) for d in p.demos] for p in optimized.predictors()],
    "compiled": optimized._compiled,
    "result": dict(result.items()),
    "messages": [entry["messages"] for entry in lm.history],
    "compile_events": events.events,
}))
