"""RLM on LocalInterpreter (a local worker process): the REPL code imports the sandbox dspy facade
and builds sub-agents (a Predict, a Module with a ChainOfThought) that run on the host with the
sub-LM; the action prompt carries the sub-agent rules."""

import json

import dspy
from dspy.utils import DummyLM

lm = DummyLM([
    {"reasoning": "Delegate.", "code": "import dspy\nqa = dspy.Predict('question -> answer')\nr = qa(question='2+2?')\nprint(r.answer)"},
    {"reasoning": "A module.", "code": "class M(dspy.Module):\n    def __init__(self):\n        self.cot = dspy.ChainOfThought('question -> answer')\n\n    def forward(self, question):\n        return self.cot(question=question)\n\nprint(M()(question='3+3?').answer)"},
    {"reasoning": "Done.", "code": "SUBMIT(r.answer)"},
])
sub_lm = DummyLM([{"answer": "4"}, {"reasoning": "Adding.", "answer": "6"}])
dspy.configure(lm=lm)
rlm = dspy.RLM("text -> word", interpreter_factory=dspy.LocalInterpreter, sub_lm=sub_lm, max_llm_calls=5)
result = rlm(text="hello")
print(json.dumps({
    "result": [result.word, result.trajectory],
    "messages": [entry["messages"] for entry in lm.history],
    "sub_messages": [entry["messages"] for entry in sub_lm.history],
}))
