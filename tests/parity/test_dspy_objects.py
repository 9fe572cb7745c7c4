"""dspy's own objects given to dspex: ``dspy.Signature`` classes and ``dspy.Example`` records.

A dspy user passes the classes and examples they already have. Native reads them by their
attributes (the core never imports dspy) and must then send the very requests plain dspy sends
with the same objects, and return equal predictions; the dspy backend uses the user's class as it
is. Compared here on whole LM calls (messages and settings) through a RecordingLM:

* random dspy classes (fields, types, descriptions, prefixes, a docstring with indentation, fields
  split between a base class and a subclass) with ``dspy.Example`` demos, native vs plain dspy;
* the public API (``dspex.Predict.create(FactQA)``, ``dspex.ChainOfThought``, pipelines) on both
  backends;
* ``evaluate`` and a ``BootstrapFewShot`` compile on ``dspy.Example`` sets;
* a program saved by dspy loaded with ``signature=TheClass``.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any, Literal

import dspy
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import CustomLM, assert_same_run, outcome_of
from _optimizer_runs import assert_same, compile_on
from _strategies_local import chat_replies, demos_for, inputs_for, signatures
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.testing import RecordingLM
from dspex_native.modules.chain_of_thought import implementation as native_cot
from dspex_native.modules.predict import implementation as native_predict

warnings.filterwarnings("ignore", module="dspy")
pytestmark = pytest.mark.filterwarnings("ignore:The 'prefix' argument:DeprecationWarning")
logging.getLogger("dspy").setLevel(logging.ERROR)


with warnings.catch_warnings():  # dspy 3.4 deprecates prefix= (it still keeps it on the field)
    warnings.simplefilter("ignore", DeprecationWarning)

    class Base(dspy.Signature):
        """Answer questions with short factoid answers."""

        question: str = dspy.InputField(desc="a trivia question")
        answer: str = dspy.OutputField(desc="often between 1 and 5 words", prefix="Final Answer:")


class FactQA(Base):
    context: list[str] = dspy.InputField(desc="facts that may help")
    kind = dspy.InputField()
    label: Literal["person", "place", "thing"] = dspy.OutputField()


ANSWER = "[[ ## answer ## ]]\nParis\n\n[[ ## label ## ]]\nplace\n\n[[ ## completed ## ]]"
COT_ANSWER = "[[ ## reasoning ## ]]\nIt is the capital.\n\n" + ANSWER
INPUTS = {"question": "Capital of France?", "context": ["France is in Europe."], "kind": "city"}
DEMOS = [dspy.Example(question="Capital of Italy?", context=["Rome"], kind="city", answer="Rome", label="place"),
         dspy.Example(question="Who wrote Hamlet?", context=[], kind="writer", answer="Shakespeare",
                      label="person").with_inputs("question", "context", "kind")]


# -- random dspy classes, native against plain dspy ------------------------------------------------

def dspy_class(sig: Signature, descs: list, prefixes: list, doc: str | None, split: int) -> type:
    """A real ``dspy.Signature`` class holding ``sig``'s fields (a base class holds the first
    ``split`` of them), with these descriptions and prefixes, documented by ``doc``."""
    fields = list(sig.fields.values())

    def namespace(part: list[Field], docstring: str | None) -> dict[str, Any]:
        ns: dict[str, Any] = {"__doc__": docstring, "__annotations__": {}, "__module__": __name__}
        for field in part:
            index = fields.index(field)
            kwargs = {k: v for k, v in (("desc", descs[index]), ("prefix", prefixes[index])) if v is not None}
            ns[field.name] = (dspy.InputField if field.kind == "input" else dspy.OutputField)(**kwargs)
            if field.type_given:
                ns["__annotations__"][field.name] = field.annotation
        return ns

    meta = type(dspy.Signature)
    if not split:
        return meta("Drawn", (dspy.Signature,), namespace(fields, doc))
    base = meta("DrawnBase", (dspy.Signature,), namespace(fields[:split], doc))
    return meta("Drawn", (base,), namespace(fields[split:], None))


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@st.composite
def dspy_classes(draw) -> type:
    sig = draw(signatures(exclude=("reasoning",)))
    count = len(sig.fields)
    descs = draw(st.lists(st.one_of(st.none(), TEXT), min_size=count, max_size=count))
    prefixes = draw(st.lists(st.one_of(st.none(), st.sampled_from(["Q:", "Answer:", "Final Answer:"])),
                             min_size=count, max_size=count))
    lines = draw(st.lists(st.from_regex(r"[A-Za-z][A-Za-z .,]{0,20}", fullmatch=True), max_size=3))
    indent = draw(st.sampled_from(["", "    ", "\t"]))
    doc = ("\n" + "\n".join(indent + line for line in lines) + "\n" + indent) if lines else None
    return dspy_class(sig, descs, prefixes, doc, draw(st.integers(0, count - 1)))


def _run_plain_dspy(cls: type, module: str, demos: list, inputs: dict, replies: list) -> tuple:
    lm = RecordingLM(list(replies))
    program = dspy.ChainOfThought(cls) if module == "chain_of_thought" else dspy.Predict(cls)
    (program.predict if module == "chain_of_thought" else program).demos = list(demos)
    with dspy.context(lm=CustomLM(lm)):
        return outcome_of(lambda: program(**inputs)), lm.calls


def _run_native(cls: type, module: str, demos: list, inputs: dict, replies: list) -> tuple:
    impl = native_cot if module == "chain_of_thought" else native_predict
    lm = RecordingLM(list(replies))
    state = impl.create(cls, demos=list(demos))
    return outcome_of(lambda: impl.execute(state, dict(inputs), lm=lm)), lm.calls


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_native_runs_a_dspy_class_and_dspy_examples_as_plain_dspy_does(data):
    cls = data.draw(dspy_classes())
    module = data.draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = Signature.coerce(cls)
    replied = sig if module == "predict" else Signature._make(
        dict(sig.input_fields), {"reasoning": Field("reasoning", "output", str), **sig.output_fields}, None)
    demos = [dspy.Example(**d) for d in data.draw(demos_for(sig))]
    inputs = data.draw(inputs_for(sig, allow_missing=False))
    replies = [data.draw(chat_replies(replied)) for _ in range(2)]
    native = _run_native(cls, module, demos, inputs, replies)
    event(f"{native[0][0]} after {len(native[1])} call(s)")
    assert_same_run(native, _run_plain_dspy(cls, module, demos, inputs, replies))


def test_constraints_and_defaults_of_a_dspy_class_reach_native_as_dspy_sends_them():
    class Rated(dspy.Signature):
        """Rate the text."""

        text: str = dspy.InputField(max_length=50)
        score: int = dspy.OutputField(ge=1, le=5)
        note: str = dspy.OutputField(default="none")

    replies = ["[[ ## score ## ]]\n3\n\n[[ ## note ## ]]\nok\n\n[[ ## completed ## ]]"]
    native = _run_native(Rated, "predict", [], {"text": "hi"}, replies)
    assert native[0][0] == "ok" and "greater than or equal to: 1" in native[1][0].messages[0]["content"]
    assert_same_run(native, _run_plain_dspy(Rated, "predict", [], {"text": "hi"}, replies))


# -- the public API on both backends ------------------------------------------------------------------

@pytest.mark.parametrize("facade, reply", [(dspex.Predict, ANSWER), (dspex.ChainOfThought, COT_ANSWER)])
@pytest.mark.parametrize("spec", [FactQA, FactQA(question="q", answer="a", context=[], kind="k", label="place")],
                         ids=["class", "instance"])
def test_the_facades_take_a_dspy_class_on_both_backends(facade, reply, spec):
    calls, predictions = [], []
    for backend in ("native", "dspy"):
        lm = RecordingLM([reply])
        ref = facade.create(spec, demos=DEMOS, implementation=backend, lm=lm)
        pred = ref(**INPUTS)
        calls.append([(c.messages, c.settings) for c in lm.calls])
        predictions.append(dict(pred.items()))
    assert calls[0] == calls[1] and len(calls[0]) == 1
    assert predictions[0] == predictions[1] and predictions[0]["label"] == "place"
    system = calls[0][0][0][0]["content"]
    assert "Answer questions with short factoid answers." in system and "facts that may help" in system
    assert "`label` (Literal['person', 'place', 'thing'])" in system


def test_instructions_replace_a_dspy_classes_docstring_on_both_backends():
    systems = []
    for backend in ("native", "dspy"):
        lm = RecordingLM([ANSWER])
        dspex.create("predict", FactQA, instructions="Be terse.", implementation=backend, lm=lm)(**INPUTS)
        systems.append(lm.calls[0].messages[0]["content"])
    assert systems[0] == systems[1] and "Be terse." in systems[0]


def test_a_pipeline_takes_a_dspy_class_as_a_step_and_as_a_signature():
    lm = RecordingLM([ANSWER, "[[ ## summary ## ]]\nParis, a place.\n\n[[ ## completed ## ]]"])

    class Summarize(dspy.Signature):
        """Summarize the answer."""

        answer: str = dspy.InputField()
        label: str = dspy.InputField()
        summary: str = dspy.OutputField()

    pipe = dspex.pipeline([("native", dspex.Predict, {"signature": FactQA, "lm": lm}),
                           ("auto", Summarize, {"lm": lm})])
    result = dspex.run_pipeline(pipe, INPUTS)
    assert result["summary"] == "Paris, a place." and result["label"] == "place"


# -- dspy.Example sets: evaluate and compile --------------------------------------------------------

def _exact(example, pred, trace=None):
    assert isinstance(example, (dspy.Example, dspex.Example))
    return example.answer == pred.answer


def _replies(messages: list, settings: dict) -> str:
    question = messages[-1]["content"].split("[[ ## question ## ]]\n")[-1].split("\n")[0]
    return f"[[ ## answer ## ]]\n{question.upper()}\n\n[[ ## completed ## ]]"


def test_evaluate_takes_a_devset_of_dspy_examples_on_both_backends():
    devset = [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in (("alpha", "ALPHA"), ("beta", "b"))]
    seen, results, calls = [], [], []
    for backend in ("native", "dspy"):
        lm = RecordingLM(_replies)
        program = dspex.Predict.create("question -> answer", implementation=backend, lm=lm)

        def metric(example, pred, trace=None):
            seen.append(example)
            return _exact(example, pred)

        ev = dspex.Evaluate.create(devset=devset, metric=metric, num_threads=1, display_progress=False,
                                   implementation=backend)
        result = ev(program=program)
        results.append((result.score, [score for _, _, score in result.results]))
        calls.append([(c.messages, c.settings) for c in lm.calls])
    assert results[0] == results[1] == (50.0, [True, False])
    assert calls[0] == calls[1] and len(calls[0]) == 2
    assert sorted(example.question for example in seen) == ["alpha", "alpha", "beta", "beta"]


def test_evaluate_refuses_dspy_examples_without_inputs_marked():
    with pytest.raises(dspex.InputError, match=r"devset\[0\] has no input keys"):
        dspex.Evaluate.create(devset=[dspy.Example(question="q", answer="a")], metric=_exact, implementation="native")


def test_bootstrap_few_shot_compiles_on_dspy_examples_as_dspy_does():
    trainset = [dspy.Example(question=w, answer=w.upper()).with_inputs("question") for w in ("alpha", "beta", "Gamma")]
    trainset.append(dspy.Example(question="delta", answer="wrong").with_inputs("question"))

    def make(backend: str, lm: Any) -> Any:
        return dspex.Predict.create("question -> answer", implementation=backend, lm=lm)

    options = {"metric": _exact, "max_bootstrapped_demos": 2, "max_labeled_demos": 3}
    native, reference = (compile_on(backend, _replies, make, "bootstrap_few_shot", options, trainset)
                         for backend in ("native", "dspy"))
    assert native.outcome == ("ok",), native
    assert_same(native, reference)
    assert [d.get("augmented", False) for d in native.saved["demos"]][:2] == [True, True]


# -- a program saved by dspy, loaded with its class --------------------------------------------------

@pytest.mark.parametrize("backend", ["native", "dspy"])
@pytest.mark.parametrize("module, reply", [(dspy.Predict, ANSWER), (dspy.ChainOfThought, COT_ANSWER)],
                         ids=["predict", "chain_of_thought"])
def test_a_dspy_saved_program_loads_with_signature_the_class(tmp_path, backend, module, reply):
    program = module(FactQA)
    predictor = program.predict if module is dspy.ChainOfThought else program
    predictor.demos = list(DEMOS)
    predictor.signature = predictor.signature.with_instructions("Answer as a geographer would.")
    path = os.path.join(tmp_path, "fact_qa.json")
    program.save(path)

    lm = RecordingLM([reply])
    loaded = dspex.load(path, signature=FactQA, implementation=backend)
    pred = dspex.execute(loaded, INPUTS, lm=lm)

    plain_lm = RecordingLM([reply])
    reference = module(FactQA)
    reference.load(path)
    with dspy.context(lm=CustomLM(plain_lm)):
        expected = reference(**INPUTS)
    assert [(c.messages, c.settings) for c in lm.calls] == [(c.messages, c.settings) for c in plain_lm.calls]
    assert "Answer as a geographer would." in lm.calls[0].messages[0]["content"]
    assert "Rome" in lm.calls[0].messages[1]["content"]  # the saved demos
    assert dict(pred.items()) == dict(expected.items())
