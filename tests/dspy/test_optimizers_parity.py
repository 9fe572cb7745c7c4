"""dspex's optimizers give exactly what plain DSPy's give on the same data and LM replies.

Plain dspy is the oracle: the same optimizer, trainset and scripted replies, run with
``dspy.BootstrapFewShot(...).compile(dspy.Predict(...), trainset=...)`` and no dspex at all,
must select the same demos (and the compiled programs must send the same messages).
"""

from __future__ import annotations

import dspy
from hypothesis import given
from hypothesis import strategies as st
from test_optimizers import TRAIN, WORDS, examples, exact, toy_lm, toy_responder, with_demos

import dspex_core as dspex


class OracleLM(dspy.BaseLM):
    """A plain dspy LM answering with the same responder as the dspex test's LM."""

    def __init__(self, responder):
        super().__init__(model="plain/oracle", cache=False)
        self.kwargs = {}
        self.responder = responder
        self.messages = []

    def forward(self, prompt=None, messages=None, **kwargs):
        self.messages.append(messages)
        text = self.responder(messages, kwargs)
        return {"model": "plain/oracle", "usage": {},
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}


def plain(examples_):
    return [dspy.Example(**e.toDict()).with_inputs("question") for e in examples_]


def demo_dicts(demos):
    return [dict(d.items()) if hasattr(d, "items") else dict(d) for d in demos]


def test_bootstrap_few_shot_selects_the_demos_plain_dspy_selects():
    lm = toy_lm(with_demos)
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer", implementation="dspy")
    optimizer = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3)
    compiled = dspex.compile(optimizer, program, trainset=TRAIN)

    oracle = OracleLM(toy_responder(with_demos))
    with dspy.context(lm=oracle):
        expected = dspy.BootstrapFewShot(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3).compile(
            dspy.ChainOfThought("question -> answer"), trainset=plain(TRAIN))
    assert demo_dicts(compiled.describe()["demos"]) == demo_dicts(expected.predict.demos)
    assert [c.messages for c in lm.calls] == oracle.messages  # the very same prompts, in order


def test_random_search_picks_the_program_plain_dspy_picks():
    knows = lambda p: p["demos"] and "stone" not in p["inputs"].get("question", "")  # noqa: E731
    lm = toy_lm(knows)
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    trainset, valset = examples(WORDS[:5]), examples(WORDS[3:])
    optimizer = dspex.BootstrapFewShotWithRandomSearch.create(
        metric=exact, num_candidate_programs=2, max_bootstrapped_demos=2, max_labeled_demos=2, num_threads=1)
    compiled = dspex.compile(optimizer, program, trainset=trainset, valset=valset)

    oracle = OracleLM(toy_responder(knows))
    with dspy.context(lm=oracle):
        expected = dspy.BootstrapFewShotWithRandomSearch(
            metric=exact, num_candidate_programs=2, max_bootstrapped_demos=2, max_labeled_demos=2,
            num_threads=1).compile(dspy.Predict("question -> answer"), trainset=plain(trainset), valset=plain(valset))
    assert demo_dicts(compiled.describe()["demos"]) == demo_dicts(expected.demos)


@given(k=st.integers(min_value=1, max_value=10), n=st.integers(min_value=1, max_value=8))
def test_labeled_few_shot_samples_like_plain_dspy(k, n):
    dspex.configure(lm=toy_lm(with_demos))
    program = dspex.Predict.create("question -> answer", implementation="dspy")
    trainset = examples(WORDS[:n])
    compiled = dspex.compile(dspex.LabeledFewShot.create(k=k), program, trainset=trainset)
    expected = dspy.LabeledFewShot(k=k).compile(dspy.Predict("question -> answer"), trainset=plain(trainset))
    assert demo_dicts(compiled.describe()["demos"]) == demo_dicts(expected.demos)
    assert len(expected.demos) == min(k, n)
