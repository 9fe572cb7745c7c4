"""The errors a DSPy program catches when its LM fails: each HTTP status a provider answers with,
a connection that cannot be made, a context window exceeded and a reply that cannot be parsed,
from a Predict's call and from a direct dspy.LM call, caught by DSPy's classes; printed as JSON
(class, the DSPy classes it is an instance of, status, code, retryable, the requests sent)."""

import json

import dspy
from dspy.utils.exceptions import is_retryable_lm_error

from dspex_core.testing.server import LocalLMServer

CLASSES = ("DSPyError", "LMError", "LMProviderError", "LMInvalidRequestError", "LMTransportError",
           "AdapterParseError", "ContextWindowExceededError")
CONTEXT = "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens."


def outcome(run, server):
    server.reset()
    try:
        result = run()
        return {"result": str(result)}
    except dspy.DSPyError as error:
        return {"class": type(error).__name__, "is": [name for name in CLASSES if isinstance(error, getattr(dspy, name))],
                "status": getattr(error, "status", None), "code": error.code, "retryable": is_retryable_lm_error(error),
                "requests": len(server.chat_requests)}


outcomes = {}
with LocalLMServer("[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]") as server:
    lm = dspy.LM("openai/local-model", api_base=server.url, api_key="sk-local", cache=False, num_retries=0)
    predict = dspy.Predict("question -> answer")
    for status in (400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504):
        for how in ("predict", "direct"):
            def run():
                server.inject(status=status, message=f"fault {status}", times=2)
                if how == "predict":
                    return predict(question="q", lm=lm).answer
                return lm("hi")
            outcomes[f"{status} {how}"] = outcome(run, server)

    for code in ("context_length_exceeded", None):  # OpenAI's code, or the words alone
        def context():
            server.inject(status=400, message=CONTEXT, times=2, code=code)
            return predict(question="q", lm=lm).answer
        outcomes[f"context window, code {code}"] = outcome(context, server)

    def add(a: int) -> int:
        """Add one."""
        return a + 1

    def agent():  # an invalid request is not a context window ReAct would shorten its trajectory for
        server.inject(status=400, message="Invalid value for 'temperature'", times=3)
        with dspy.context(lm=lm):
            return dspy.ReAct("question -> answer", tools=[add])(question="q").answer
    outcomes["react 400"] = outcome(agent, server)

    unreachable = dspy.LM("openai/local-model", api_base="http://127.0.0.1:9/v1", api_key="sk-local", cache=False,
                          num_retries=0)
    outcomes["unreachable direct"] = outcome(lambda: unreachable("hi"), server)
    outcomes["unreachable predict"] = outcome(lambda: predict(question="q", lm=unreachable).answer, server)

dspy.configure(lm=dspy.utils.DummyLM([{"nothing": "here"}] * 4))
try:
    predict(question="q")
except dspy.utils.exceptions.AdapterParseError as error:
    outcomes["unparseable"] = {"class": type(error).__name__, "code": error.code, "adapter": error.adapter_name,
                               "is": [name for name in CLASSES if isinstance(error, getattr(dspy, name))]}

print(json.dumps(outcomes))
