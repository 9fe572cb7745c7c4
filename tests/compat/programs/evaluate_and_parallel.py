"""Evaluate with answer_exact_match on threads, Parallel, batch, majority, and the callback events of a call."""

import json

import dspy
from dspy.evaluate import Evaluate, answer_exact_match
from dspy.utils import DummyLM
from dspy.utils.callback import BaseCallback


class Recorder(BaseCallback):
    def __init__(self):
        self.events = []

    def on_module_start(self, call_id, instance, inputs):
        self.events.append(["module_start", type(instance).__name__, sorted(inputs.get("kwargs", {}))])

    def on_module_end(self, call_id, outputs, exception):
        self.events.append(["module_end", None if outputs is None else dict(outputs)])

    def on_lm_start(self, call_id, instance, inputs):
        self.events.append(["lm_start", type(instance).__name__, inputs["messages"]])

    def on_adapter_parse_end(self, call_id, outputs, exception):
        self.events.append(["parse_end", outputs])

    def on_evaluate_start(self, call_id, instance, inputs):
        self.events.append(["evaluate_start", type(instance).__name__, sorted(inputs)])

    def on_evaluate_end(self, call_id, outputs, exception):
        self.events.append(["evaluate_end", outputs.score])


answers = {"What is 1+1?": {"answer": "2"}, "What is 2+2?": {"answer": "4"}, "What is 3+3?": {"answer": "7"}}
dspy.configure(lm=DummyLM(answers))
devset = [dspy.Example(question=q, answer=a).with_inputs("question")
          for q, a in [("What is 1+1?", "2"), ("What is 2+2?", "4"), ("What is 3+3?", "6")]]
program = dspy.Predict("question -> answer")
result = Evaluate(devset=devset, metric=answer_exact_match, num_threads=2)(program)

pairs = [(program, example) for example in devset]
parallel = [p.answer for p in dspy.Parallel(num_threads=2)(pairs)]
batch = [p.answer for p in program.batch(devset, num_threads=2)]
vote = dspy.majority([{"answer": "Paris"}, {"answer": " paris"}, {"answer": "Rome"}]).completions[0]

recorder = Recorder()
with dspy.context(callbacks=[recorder], lm=DummyLM({"What is 1+1?": {"reasoning": "One and one.", "answer": "2"}})):
    Evaluate(devset=devset[:1], metric=answer_exact_match, num_threads=1)(dspy.ChainOfThought("question -> answer"))

print(json.dumps({
    "score": result.score,
    "results": [[e.question, p.answer, s] for e, p, s in result.results],
    "parallel": parallel, "batch": batch, "majority": dict(vote),
    "events": recorder.events,
}))
