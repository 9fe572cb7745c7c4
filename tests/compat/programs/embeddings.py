"""dspy.retrievers.Embeddings in a RAG module (DSPy's tutorial shape): a corpus embedded by a
dspy.Embedder of a function, the k nearest passages (with scores from EmbeddingsWithScores) given
to a ChainOfThought, the index saved and read back with from_saved, and FAISS asked for where it
is not installed."""

import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import dspy
from dspy.utils import DummyLM

VOCABULARY = ["paris", "france", "nile", "river", "everest", "mountain", "capital", "longest", "tallest"]
CORPUS = ["Paris is the capital of France.", "The Nile is the longest river.", "Everest is the tallest mountain.",
          "France borders Spain.", "The Amazon river carries the most water."]


def bag_of_words(texts):
    return [[float(text.lower().count(word)) + 0.01 * i for i, word in enumerate(VOCABULARY)] for text in texts]


class RAG(dspy.Module):
    def __init__(self, search):
        super().__init__()
        self.search = search
        self.respond = dspy.ChainOfThought("context, question -> response")

    def forward(self, question):
        context = self.search(question).passages
        return self.respond(context=context, question=question)


lm = DummyLM([{"reasoning": "It says so.", "response": "Paris"}, {"reasoning": "Also.", "response": "Nile"}])
dspy.configure(lm=lm)
embedder = dspy.Embedder(bag_of_words)
search = dspy.retrievers.Embeddings(corpus=CORPUS, embedder=embedder, k=2)
scored = dspy.retrievers.EmbeddingsWithScores(corpus=CORPUS, embedder=embedder, k=3, normalize=False)
rag = RAG(search)
first = rag(question="What is the capital of France?")
hit = scored("Which river is the longest?")
with ThreadPoolExecutor(max_workers=4) as pool:
    many = list(pool.map(lambda q: search(q).indices, ["paris", "nile river", "tallest mountain", "france"] * 3))
with tempfile.TemporaryDirectory() as folder:
    search.save(folder)
    again = dspy.Embeddings.from_saved(folder, embedder)
    reloaded = again("the tallest mountain")
    saved = json.load(open(f"{folder}/config.json"))
try:
    dspy.Embeddings(corpus=CORPUS, embedder=embedder, brute_force_threshold=2)
    faiss = "built"
except ImportError as exc:
    faiss = str(exc)
second = rag(question="Which river is the longest?")
print(json.dumps({
    "first": dict(first.items()), "second": dict(second.items()),
    "scored": {"passages": hit.passages, "indices": hit.indices, "scores": [round(s, 6) for s in hit.scores],
               "keys": sorted(hit.keys())},
    "many": many, "reloaded": [reloaded.passages, reloaded.indices, sorted(reloaded.keys())], "saved": saved,
    "faiss": faiss, "messages": [entry["messages"] for entry in lm.history],
}))
