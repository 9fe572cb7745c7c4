"""Programs with several predictors, written and saved by real dspy, loaded with ``dspex.load``.

A ``dspy.Module`` whose predictors sit in attributes (``self.draft = dspy.ChainOfThought(...)``,
``self.check = dspy.Predict(...)``), in a list, or in a nested module is saved by dspy
(state-only JSON) and loaded natively (and on the dspy backend): the loaded ``Program`` names the
predictors as dspy's ``named_predictors()`` does, and each predictor sends the byte-identical
request (messages and settings) that dspy's corresponding predictor sends, for generated
signatures, demos and inputs; a missing name lists the names that exist.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import dspy
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import CustomLM, to_dspy_signature
from _strategies_local import demos_for, inputs_for, signatures
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.errors import InputError, UnknownPredictorError
from dspex_core.testing import RecordingLM

warnings.filterwarnings("ignore", module="dspy")

REPLY = "[[ ## completed ## ]]"  # no output fields: every call fails to parse after dspy's JSON retry


class Agent(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> answer")
        self.check = dspy.Predict("question, answer -> verdict")

    def forward(self, question):
        draft = self.draft(question=question)
        return self.check(question=question, answer=draft.answer)


def _with_reasoning(sig: Signature) -> Signature:
    return Signature._make(dict(sig.input_fields), {"reasoning": Field("reasoning", "output", str),
                                                    **sig.output_fields}, sig.instructions)


@st.composite
def layouts(draw) -> list[tuple[str, str, Signature, list]]:
    """1-3 predictors: (kind, where, signature, demos); ``where`` is an attribute, a list or a sub-module."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        sig = draw(signatures(exclude=("reasoning",)))
        kind = draw(st.sampled_from(["predict", "chain_of_thought"]))
        where = draw(st.sampled_from(["attribute", "list", "nested"]))
        demos = draw(demos_for(_with_reasoning(sig) if kind == "chain_of_thought" else sig, max_demos=2))
        out.append((kind, where, sig, demos))
    return out


def build(layout: list[tuple[str, str, Signature, list]]) -> tuple[Any, dict[str, Signature]]:
    """The dspy module of ``layout`` and, per dspy predictor name, the signature that predictor
    has (a ChainOfThought's with ``reasoning``)."""
    root, holder = dspy.Module(), dspy.Module()
    expected: dict[str, Signature] = {}
    items: list[Any] = []
    for index, (kind, where, sig, demos) in enumerate(layout):
        made = (dspy.ChainOfThought if kind == "chain_of_thought" else dspy.Predict)(to_dspy_signature(sig))
        inner = made.predict if kind == "chain_of_thought" else made
        inner.demos = [dspy.Example(**d) for d in demos]
        suffix = ".predict" if kind == "chain_of_thought" else ""
        if where == "attribute":
            setattr(root, f"step{index}", made)
            name = f"step{index}{suffix}"
        elif where == "list":
            name = f"items[{len(items)}]{suffix}"
            items.append(made)
        else:
            setattr(holder, f"part{index}", made)
            name = f"inner.part{index}{suffix}"
        expected[name] = _with_reasoning(sig) if kind == "chain_of_thought" else sig
    if items:
        root.items = items
    if any(name.startswith("inner.") for name in expected):
        root.inner = holder
    return root, expected


def _dspy_request(predictor: Any, inputs: dict[str, Any]) -> list:
    lm = RecordingLM(REPLY)
    with dspy.context(lm=CustomLM(lm)):
        try:
            predictor(**inputs)
        except Exception:  # noqa: BLE001 - the reply does not parse; the requests are compared
            pass
    return lm.calls


def _dspex_request(ref: Any, inputs: dict[str, Any]) -> list:
    lm = RecordingLM(REPLY)
    try:
        ref(lm=lm, **inputs)
    except Exception:  # noqa: BLE001
        pass
    return lm.calls


@hsettings(deadline=None, max_examples=40)
@given(layout=layouts(), data=st.data())
def test_each_named_predictor_sends_dspys_requests(tmp_path_factory, layout, data):
    module, expected = build(layout)
    path = tmp_path_factory.mktemp("multi") / "program.json"
    module.save(str(path))
    names = [name for name, _ in module.named_predictors()]
    assert sorted(names) == sorted(expected)
    by_name = dict(module.named_predictors())
    for implementation in ("native", "dspy"):
        loaded = dspex.load(path, implementation=implementation, signature=dict(expected))
        if len(names) == 1 and not isinstance(loaded, dspex.Program):
            loaded = {names[0]: loaded}  # a lone predictor under a name: a Program of one
        assert list(loaded) == names
        for name in names:
            ref = loaded[name]
            assert ref.backend == implementation and ref.module_type == "predict"
            inputs = data.draw(inputs_for(expected[name], allow_missing=False), label=f"inputs of {name}")
            try:
                theirs = _dspy_request(by_name[name], inputs)
            except TypeError:
                continue
            mine = _dspex_request(ref, inputs)
            assert [c.messages for c in mine] == [c.messages for c in theirs], (implementation, name)
            assert [c.settings for c in mine] == [c.settings for c in theirs], (implementation, name)


def test_agent_loads_natively_with_inferred_signatures(tmp_path):
    agent = Agent()
    agent.draft.predict.demos = [dspy.Example(question="1+1?", reasoning="Add.", answer="2")]
    agent.check.signature = agent.check.signature.with_instructions("Is the answer right?")
    path = tmp_path / "agent.json"
    agent.save(str(path))
    with pytest.raises(InputError, match="'check'.*signature=\\{'check'"):
        dspex.load(path, implementation="native")  # custom instructions: the split is not saved
    prog = dspex.load(path, implementation="native", signature={"check": "question, answer -> verdict"})
    assert isinstance(prog, dspex.Program) and prog.names() == ["draft.predict", "check"]
    assert [name for name, _ in prog.named_predictors()] == [name for name, _ in agent.named_predictors()]
    assert prog["draft.predict"].spec.signature == "question -> reasoning, answer"
    assert prog["draft.predict"].describe()["demos"] == [{"question": "1+1?", "reasoning": "Add.", "answer": "2"}]
    for name, predictor in agent.named_predictors():
        inputs = {field: f"{field} value" for field in predictor.signature.input_fields}
        theirs, mine = _dspy_request(predictor, inputs), _dspex_request(prog[name], inputs)
        assert [c.messages for c in mine] == [c.messages for c in theirs] and theirs
    with pytest.raises(UnknownPredictorError) as info:
        prog["draft"]
    assert str(info.value) == (f"{path} has no predictor 'draft' (did you mean 'draft.predict'?); its predictors "
                               f"are: draft.predict, check")
    assert isinstance(info.value, KeyError) and "draft" not in prog and prog.get("draft") is None
    one = dspex.load(path, implementation="native", predictor="draft.predict")
    assert isinstance(one, dspex.ModuleRef) and one.spec.signature == "question -> reasoning, answer"
    cot = dspex.load(path, implementation="native", predictor="draft.predict", module_type="chain_of_thought")
    assert cot.module_type == "chain_of_thought" and cot.spec.signature == "question -> answer"
    with pytest.raises(UnknownPredictorError, match="its predictors are: draft.predict, check"):
        dspex.load(path, predictor="verify")
    with pytest.raises(UnknownPredictorError, match="signature=.*no predictor 'chek'"):
        dspex.load(path, signature={"chek": "question, answer -> verdict"})


def test_a_single_predictor_file_still_loads_as_one_reference(tmp_path):
    path = tmp_path / "cot.json"
    dspy.ChainOfThought("question -> answer").save(str(path))
    ref = dspex.load(path, implementation="native")
    assert isinstance(ref, dspex.ModuleRef) and ref.module_type == "chain_of_thought"
    assert dspex.load(path, implementation="native", predictor="predict").module_type == "predict"
    path = tmp_path / "predict.json"
    dspy.Predict("question -> answer").save(str(path))
    assert dspex.load(path, implementation="native", predictor="self").spec.signature == "question -> answer"
    data = json.loads(path.read_text())
    assert dspex.load(data, implementation="native").module_type == "predict"


def test_loaded_predictors_as_pipeline_steps_send_what_the_dspy_module_sends(tmp_path):
    """The code connecting the predictors, written again as a pipeline of the loaded references,
    sends the requests DSPy's ``forward`` sends, in order, and gives its answer."""
    agent = Agent()
    agent.draft.predict.demos = [dspy.Example(question="1+1?", reasoning="Add.", answer="2")]
    path = tmp_path / "agent.json"
    agent.save(str(path))
    replies = ["[[ ## reasoning ## ]]\nSix times seven.\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]",
               "[[ ## verdict ## ]]\ncorrect\n\n[[ ## completed ## ]]"]
    theirs = RecordingLM(list(replies))
    with dspy.context(lm=CustomLM(theirs)):
        expected = agent(question="6*7?")
    prog = dspex.load(path, implementation="native")
    pipe = dspex.pipeline([("native", prog["draft.predict"], {"name": "draft"}), ("auto", prog["check"])])
    assert [step.backend for step in pipe.steps] == ["native", "native"]
    mine = RecordingLM(list(replies))
    result = dspex.run_pipeline(pipe, {"question": "6*7?"}, lm=mine)
    assert result["verdict"] == expected.verdict == "correct"
    assert [c.messages for c in mine.calls] == [c.messages for c in theirs.calls] and len(mine.calls) == 2
    with pytest.raises(InputError, match="several predictors \\(draft.predict, check\\); a step is one of them"):
        dspex.pipeline([("native", prog)])
