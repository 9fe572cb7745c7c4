"""KNNFewShot with an Embedder made from a function: the nearest examples become each call's demos."""

import json

import numpy as np

import dspy
from dspy.teleprompt import KNNFewShot
from dspy.utils import DummyLM

VOCABULARY = ["capital", "france", "spain", "river", "longest", "tallest", "mountain", "paris", "nile"]


def bag_of_words(texts):
    return [[float(text.lower().count(word)) for word in VOCABULARY] for text in texts]


trainset = [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in [
    ("What is the capital of France?", "Paris"), ("What is the capital of Spain?", "Madrid"),
    ("What is the longest river?", "Nile"), ("What is the tallest mountain?", "Everest")]]
lm = DummyLM({"capital of France": {"answer": "Paris"}, "capital of Spain": {"answer": "Madrid"},
              "longest river": {"answer": "Nile"}, "tallest mountain": {"answer": "Everest"},
              "capital of Italy": {"answer": "Rome"}})
dspy.configure(lm=lm)
knn = dspy.KNN(2, trainset, vectorizer=dspy.Embedder(bag_of_words))
nearest = knn(question="Which city is the capital of France?")
program = KNNFewShot(k=2, trainset=trainset, vectorizer=dspy.Embedder(bag_of_words),
                     max_bootstrapped_demos=1).compile(dspy.Predict("question -> answer"))
result = program(question="What is the capital of Italy?")
print(json.dumps({
    "nearest": [dict(e.items()) for e in nearest],
    "vector": dspy.Embedder(bag_of_words)("capital of france paris").tolist(),
    "result": dict(result.items()),
    "messages": [entry["messages"] for entry in lm.history],
    "is_ndarray": isinstance(dspy.Embedder(bag_of_words)(["a"]), np.ndarray),
}))
