"""BestOfN and Refine (with the advice round) on a scripted LM, and MultiChainComparison."""

import json

import dspy
from dspy.utils import DummyLM
from dspy.utils.callback import BaseCallback


class LMCalls(BaseCallback):
    """The attempts run on copies of the LM (one per rollout id): their calls are recorded here."""

    def __init__(self):
        self.messages, self.rollout_ids = [], []

    def on_lm_start(self, call_id, instance, inputs):
        self.messages.append(inputs["messages"])
        self.rollout_ids.append(instance.kwargs.get("rollout_id"))


class Answer(dspy.Module):
    def __init__(self):
        super().__init__()
        self.respond = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.respond(question=question)


def one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


lm = DummyLM([
    {"answer": "The city of Brussels"}, {"answer": "Brussels"},  # BestOfN: the second attempt reaches the threshold
    {"answer": "The city of Brussels"},  # Refine: the first attempt falls short...
    {"discussion": "Too long.", "advice": {"respond": "Answer with one word."}},  # ...so advice is asked for
    {"answer": "Brussels"},  # the second attempt is shown the advice
    {"rationale": "compared them", "answer": "blue"},  # MultiChainComparison
])
calls = LMCalls()
dspy.configure(lm=lm, callbacks=[calls])
best = dspy.BestOfN(Answer(), N=3, reward_fn=one_word, threshold=1.0)(question="Capital of Belgium?")
refined = dspy.Refine(Answer(), N=3, reward_fn=one_word, threshold=1.0)(question="Capital of Belgium?")
attempts = [dspy.Prediction(reasoning="It is often this color.", answer="blue"),
            dspy.Prediction(reasoning="Sunsets.", answer="red"),
            dspy.Prediction(reasoning="Clear days.", answer="blue")]
compared = dspy.MultiChainComparison("question -> answer")(attempts, question="Color of the sky?")
print(json.dumps({
    "best": best.answer, "refined": refined.answer, "compared": [compared.rationale, compared.answer],
    "messages": calls.messages, "rollout_ids": calls.rollout_ids,
}))
