"""ReAct with two tools on a scripted LM: the prompts (instructions, trajectory), the trajectory, the tool events."""

import json

import dspy
from dspy.utils import DummyLM
from dspy.utils.callback import BaseCallback


class Events(BaseCallback):
    def __init__(self):
        self.messages, self.tools = [], []

    def on_lm_start(self, call_id, instance, inputs):
        self.messages.append(inputs["messages"])

    def on_tool_start(self, call_id, instance, inputs):
        self.tools.append([instance.name, inputs])


def lookup(city: str) -> str:
    """Find the country a city is in."""
    return {"Paris": "France"}.get(city, "unknown")


def population(country: str, year: int = 2020) -> int:
    """The population of a country in a year."""
    return 68_000_000 if country == "France" else 0


lm = DummyLM([
    {"next_thought": "Find the country.", "next_tool_name": "lookup", "next_tool_args": {"city": "Paris"}},
    {"next_thought": "Now its population.", "next_tool_name": "population", "next_tool_args": {"country": "France"}},
    {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
    {"reasoning": "France has about 68 million people.", "answer": "68000000"},
])
events = Events()
dspy.configure(lm=lm, callbacks=[events])
agent = dspy.ReAct("question -> answer: int", tools=[lookup, population], max_iters=5)
result = agent(question="How many people live in the country of Paris?")
print(json.dumps({
    "answer": result.answer, "trajectory": result.trajectory, "tools": events.tools, "messages": events.messages,
    "predictors": [name for name, _ in agent.named_predictors()],
    "state": {name: sorted(state) for name, state in agent.dump_state().items()},
}))
