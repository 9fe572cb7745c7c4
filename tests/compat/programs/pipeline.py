"""A DSPy program as users write it: a Module with a class signature, ChainOfThought and Predict."""

import json
import sys

import dspy
from dspy.utils import DummyLM


class QA(dspy.Signature):
    """Answer the question briefly, using the draft."""

    question: str = dspy.InputField(desc="a question")
    draft: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="a short answer")
    confidence: float = dspy.OutputField()


class Pipeline(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> draft")
        self.final = dspy.Predict(QA)
        self.tags = dspy.Predict("question, answer -> tags: list[str]")

    def forward(self, question):
        draft = self.draft(question=question)
        final = self.final(question=question, draft=draft.draft)
        tags = self.tags(question=question, answer=final.answer)
        return dspy.Prediction(answer=final.answer, confidence=final.confidence, tags=tags.tags)


lm = DummyLM([
    {"reasoning": "It is about numbers.", "draft": "forty-two"},
    {"answer": "42", "confidence": "0.9"},
    {"tags": '["math", "trivia"]'},
])
dspy.configure(lm=lm)
program = Pipeline()
result = program(question="What is six times seven?")
program.save(sys.argv[1])
print(json.dumps({
    "result": {"answer": result.answer, "confidence": result.confidence, "tags": result.tags},
    "predictors": [name for name, _ in program.named_predictors()],
    "messages": [entry["messages"] for entry in lm.history],
    "outputs": [entry["outputs"] for entry in lm.history],
    "signature": QA.signature,
    "instructions": QA.instructions,
}))
