"""A whole program saved with save_program=True and loaded with dspy.load, then called."""

import json
import sys
import tempfile
from pathlib import Path

import dspy
from dspy.utils import DummyLM


class Summary(dspy.Signature):
    """Summarize the text in one line."""

    text: str = dspy.InputField()
    summary: str = dspy.OutputField(desc="one line")


class Summarize(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.ChainOfThought(Summary)
        self.title = dspy.Predict("summary -> title")

    def forward(self, text):
        summary = self.draft(text=text).summary
        return dspy.Prediction(summary=summary, title=self.title(summary=summary).title)


program = Summarize()
program.draft.predict.demos = [dspy.Example(text="a long story", reasoning="short", summary="a story")]
folder = Path(tempfile.mkdtemp()) / "summarize"
program.save(str(folder), save_program=True, modules_to_serialize=[sys.modules[__name__]])
loaded = dspy.load(str(folder), allow_pickle=True)
lm = DummyLM([{"reasoning": "It is about cats.", "summary": "Cats nap."}, {"title": "Napping Cats"}])
dspy.configure(lm=lm)
result = loaded(text="Cats sleep most of the day.")
metadata = json.loads((folder / "metadata.json").read_text())
print(json.dumps({
    "files": sorted(p.name for p in folder.iterdir()),
    "metadata_keys": sorted(metadata["dependency_versions"]),
    "result": dict(result.items()),
    "demos": [dict(d.items()) for d in loaded.draft.predict.demos],
    "predictors": [name for name, _ in loaded.named_predictors()],
    "messages": [entry["messages"] for entry in lm.history],
}))
