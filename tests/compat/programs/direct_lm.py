"""A dspy.LM called directly on a local OpenAI-compatible server: lm(prompt), lm(messages=...,
**settings), n completions, acall, a reply with tool calls, the LM's history entries, the callback
events of those calls (configured and the LM's own), a custom LM called directly, the LM events of
predictors' calls on LMs with callbacks of their own, and RLM's llm_query on that provider LM as
its sub-LM."""

import asyncio
import json

import dspy
from dspy.utils import DummyLM
from dspy.utils.callback import BaseCallback

from dspex_core.testing.server import LocalLMServer

CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}}


class Events(BaseCallback):
    """The LM events each call fires: who fired them, their inputs, the outputs or the error class."""

    def __init__(self, name):
        self.name = name
        self.seen = []

    def on_lm_start(self, call_id, instance, inputs):
        self.seen.append([self.name, "lm_start", type(instance).__name__, sorted(inputs), inputs.get("prompt"),
                          inputs.get("kwargs")])

    def on_lm_end(self, call_id, outputs, exception):
        self.seen.append([self.name, "lm_end", outputs, type(exception).__name__ if exception else None])


def reply(messages, settings):
    text = str(messages[-1]["content"])
    if text == "use a tool":
        return {"content": None, "tool_calls": [CALL]}
    if "[[ ## question ## ]]" in text:  # a Predict's request
        return "[[ ## answer ## ]]\nfrom the server\n\n[[ ## completed ## ]]"
    return f"echo: {text[:40]}"


with LocalLMServer(reply) as server:
    configured, own = Events("configured"), Events("own")
    dspy.configure(callbacks=[configured])
    lm = dspy.LM("openai/local-model", api_base=server.url, api_key="sk-local", cache=False, num_retries=0,
                 temperature=0.2, callbacks=[own])
    outputs = [
        lm("Say hi"),
        lm(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
           temperature=0.3, max_tokens=50),
        lm("Twice", n=2),
        asyncio.run(lm.acall(messages=[{"role": "user", "content": "async"}])),
        lm("use a tool"),
    ]
    history = [{key: entry[key] for key in ("prompt", "messages", "kwargs", "outputs", "model", "model_type")}
               for entry in lm.history]
    usage_keys = [sorted(k for k in ("prompt_tokens", "completion_tokens", "total_tokens") if k in entry["usage"])
                  for entry in lm.history]

    custom = DummyLM([{"answer": "direct"}, {"answer": "predicted"}])
    custom.callbacks = [own]
    outputs.append(custom(messages=[{"role": "user", "content": "custom"}]))
    predict = dspy.Predict("question -> answer")
    predicted = [predict(question="q1", lm=custom).answer, predict(question="q2", lm=lm).answer]
    events = configured.seen + own.seen
    dspy.configure(callbacks=[])

    main = DummyLM([
        {"reasoning": "Ask the sub-LM.", "code": "answer = llm_query('What is 2+2?')\nprint(answer)"},
        {"reasoning": "Done.", "code": "SUBMIT(answer)"},
    ])
    dspy.configure(lm=main)
    rlm = dspy.RLM("text -> word", interpreter_factory=dspy.LocalInterpreter, sub_lm=lm, max_llm_calls=3)
    result = rlm(text="hello")
    bodies = [request["body"] for request in server.chat_requests]

print(json.dumps({
    "outputs": outputs,
    "history": history,
    "usage_keys": usage_keys,
    "events": events,
    "predicted": predicted,
    "rlm": [result.word, [step["output"] for step in result.trajectory]],
    "bodies": bodies,
}))
