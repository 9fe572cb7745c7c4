"""A three-predictor DSPy program: a retrieve step, ChainOfThought and Predict, on an in-process LM.

``python rag.py`` prints the requests and results as JSON; ``python rag.py --bench SECONDS`` times
calls of the whole program instead (benchmarks/bench_compat.py runs it on dspy and on the layer).
"""

import json
import sys
import time
from types import SimpleNamespace

import dspy
from dspy.dsp.utils import dotdict

CORPUS = ["Paris is the capital of France.", "Berlin is the capital of Germany.", "The Seine flows through Paris."]
REPLIES = {
    "verdict": "[[ ## verdict ## ]]\nTrue\n\n[[ ## completed ## ]]",
    "answer": "[[ ## reasoning ## ]]\nThe context names Paris.\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]",
}


def search(query, k):
    words = set(query.lower().split())
    ranked = sorted(CORPUS, key=lambda text: -len(words & set(text.lower().rstrip(".").split())))
    return [dotdict(long_text=text) for text in ranked[:k]]


class FixedLM(dspy.BaseLM):
    """An LM in the process: answers at once with a well-formed reply for the fields asked for."""

    def __init__(self):
        super().__init__(model="fixed/in-process")

    def forward(self, prompt=None, messages=None, **kwargs):
        wanted = "verdict" if "`[[ ## verdict ## ]]`" in messages[-1]["content"] else "answer"
        message = SimpleNamespace(role="assistant", content=REPLIES[wanted], tool_calls=None)
        choice = SimpleNamespace(index=0, message=message, finish_reason="stop", logprobs=None)
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return SimpleNamespace(id="fixed", model=self.model, choices=[choice], usage=usage, _hidden_params={})


class RAG(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.answer = dspy.ChainOfThought("context: list[str], question -> answer")
        self.check = dspy.Predict("question, answer -> verdict: bool")

    def forward(self, question):
        context = self.retrieve(question).passages
        answer = self.answer(context=context, question=question)
        verdict = self.check(question=question, answer=answer.answer)
        return dspy.Prediction(context=context, answer=answer.answer, verdict=verdict.verdict)


lm = FixedLM()
dspy.configure(lm=lm, rm=search)
program = RAG()

if len(sys.argv) > 2 and sys.argv[1] == "--bench":
    seconds = float(sys.argv[2])
    program(question="What is the capital of France?")  # warm
    best = float("inf")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(50):
            program(question="What is the capital of France?")
        best = min(best, (time.perf_counter() - start) / 50)
    print(json.dumps({"per_call_s": best}))
else:
    result = program(question="What is the capital of France?")
    print(json.dumps({
        "result": {"context": result.context, "answer": result.answer, "verdict": result.verdict},
        "messages": [entry["messages"] for entry in lm.history],
        "outputs": [entry["outputs"] for entry in lm.history],
        "predictors": [name for name, _ in program.named_predictors()],
        "parameters": [name for name, _ in program.named_parameters()],
    }))
