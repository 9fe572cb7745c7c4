"""ReActV2 on scripted LMs: text tool calls with ChatAdapter and JSONAdapter, a forced submit on a
reasoning LM, and a native tool-calling LM with parallel calls; every request and the histories."""

import asyncio
import json

import dspy
from dspy.dsp.utils import dotdict
from dspy.utils import DummyLM


def lookup(city: str) -> str:
    """Find the country a city is in."""
    return {"Paris": "France", "Rome": "Italy"}.get(city, "unknown")


def population(country: str) -> int:
    """The population of a country."""
    return {"France": 68_000_000}.get(country, 0)


class ReasoningLM(DummyLM):
    @property
    def supports_reasoning(self):
        return True


class NativeToolLM(dspy.BaseLM):
    """Answers with the provider's tool calls: two lookups at once, then submit."""

    def __init__(self):
        super().__init__("native-tool-lm", "chat", 0.0, 1000, True)
        self.calls = []

    @property
    def supports_function_calling(self):
        return True

    def forward(self, prompt=None, messages=None, **kwargs):
        self.calls.append({"messages": messages, "kwargs": kwargs})
        if len(self.calls) == 1:
            calls = [("c1", "lookup", '{"city": "Paris"}'), ("c2", "lookup", '{"city": "Rome"}')]
        else:
            calls = [("c3", "submit", '{"answer": "France and Italy"}')]
        tool_calls = [dotdict(id=i, type="function", function=dotdict(name=n, arguments=a)) for i, n, a in calls]
        message = dotdict(content=None, tool_calls=tool_calls)
        return dotdict(choices=[dotdict(message=message, finish_reason="tool_calls")],
                       usage=dotdict(prompt_tokens=0, completion_tokens=0, total_tokens=0), model="native-tool-lm")


def calls(*items):
    return dspy.ToolCalls.from_dict_list([{"name": n, "args": a} for n, a in items])


def history_of(pred):
    return [{k: (v.toDict() if hasattr(v, "toDict") else v.model_dump() if hasattr(v, "model_dump") else str(v))
             for k, v in event.items()} for event in pred.history.messages]


out = {}
for name, adapter in (("chat", dspy.ChatAdapter()), ("json", dspy.JSONAdapter())):
    lm = DummyLM([
        {"next_thought": "Find the country.", "tool_calls": calls(("lookup", {"city": "Paris"}))},
        {"next_thought": "And its people.", "tool_calls": calls(("population", {"country": "France"}),
                                                                ("missing", {}))},
        {"next_thought": "Done.", "tool_calls": calls(("submit", {"answer": 68000000, "country": "France"}))},
    ], adapter=adapter)
    agent = dspy.ReActV2("question -> answer: int, country", tools=[lookup, population], max_iters=4)
    with dspy.context(lm=lm, adapter=adapter):
        pred = agent(question="How many people live in the country of Paris?")
    out[name] = {"answer": pred.answer, "country": pred.country, "reason": pred.termination_reason,
                 "history": history_of(pred), "requests": [[h["messages"], h["kwargs"]] for h in lm.history]}

lm = ReasoningLM([{"next_thought": "Nothing to do.", "tool_calls": dspy.ToolCalls(tool_calls=[])},
                  {"next_thought": "Answer.", "tool_calls": calls(("submit", {"answer": 1, "country": "x"}))}])
agent = dspy.ReActV2("question -> answer: int, country", tools=[lookup])
with dspy.context(lm=lm):
    pred = asyncio.run(agent.acall(question="q", history={"messages": [{"question": "earlier"}]}))
out["forced"] = {"answer": pred.answer, "reason": pred.termination_reason, "history": history_of(pred),
                 "requests": [[h["messages"], h["kwargs"]] for h in lm.history]}

lm = NativeToolLM()
with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_native_function_calling=True, parallel_tool_calls=True)):
    pred = dspy.ReActV2("question -> answer", tools=[lookup])(question="Where are Paris and Rome?")
out["native"] = {"answer": pred.answer, "history": history_of(pred), "requests": lm.calls,
                 "tools": sorted(dspy.ReActV2("q -> a", tools=[lookup]).tools),
                 "predictors": [n for n, _ in dspy.ReActV2("q -> a", tools=[lookup]).named_predictors()]}
print(json.dumps(out, default=str))
