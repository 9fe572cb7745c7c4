"""Saved state crosses over: a native module saved is loaded by plain dspy, and a program
dspy saved is rebuilt natively; either way the prompts stay byte-identical."""

from __future__ import annotations

import dspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import CustomLM, to_dspy_signature
from _strategies_local import TEXT, signatures
from dspex_core.testing import RecordingLM
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
from dspex_native.modules.predict import implementation as predict

IMPLS = {"predict": predict, "chain_of_thought": chain_of_thought}


def dspy_program(module, sig):
    dsig = to_dspy_signature(sig)
    program = dspy.ChainOfThought(dsig) if module == "chain_of_thought" else dspy.Predict(dsig)
    return program, (program.predict if module == "chain_of_thought" else program)


def _outcome(run) -> str:
    """``"ok"``, or the name of the error the run raised (the LM's reply "x" fits no adapter, so
    both sides end in the same parse error after the same calls)."""
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - compared with the other side's
        return type(exc).__name__
    return "ok"


def dspy_messages(program, inputs):
    """Every call's messages and how the run ended, on plain dspy."""
    lm = RecordingLM("x")

    def run():
        with dspy.context(lm=CustomLM(lm)):
            program(**inputs)

    outcome = _outcome(run)
    return outcome, [call.messages for call in lm.calls]


def native_messages(module, state, inputs):
    """Every call's messages and how the run ended, natively."""
    lm = RecordingLM("x")
    outcome = _outcome(lambda: IMPLS[module].execute(state, inputs, lm=lm))
    return outcome, [call.messages for call in lm.calls]


@st.composite
def cases(draw):
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = draw(signatures(exclude=("reasoning",)))
    demos = [{name: draw(TEXT) for name in sig.fields if draw(st.booleans())} for _ in range(draw(st.integers(0, 2)))]
    inputs = {name: draw(TEXT) for name in sig.input_fields}
    return module, sig, demos, inputs


@settings(max_examples=25)
@given(cases(), st.data())
def test_native_save_loads_in_dspy_with_identical_prompts(tmp_path_factory, case, data):
    module, sig, demos, inputs = case
    state = IMPLS[module].create(sig, demos=demos)
    path = tmp_path_factory.mktemp("state") / "program.json"
    IMPLS[module].save(state, path)
    program, _ = dspy_program(module, sig)
    program.load(str(path))
    assert dspy_messages(program, inputs) == native_messages(module, state, inputs)


@settings(max_examples=25)
@given(cases(), st.lists(TEXT, min_size=3, max_size=3))
def test_dspy_saved_state_rebuilds_natively_with_identical_prompts(tmp_path_factory, case, texts):
    module, sig, demos, inputs = case
    program, predictor = dspy_program(module, sig)
    predictor.demos = [dspy.Example(**d) for d in demos]
    predictor.signature = predictor.signature.with_instructions(texts[0] or "Do it.")
    first = next(iter(predictor.signature.output_fields))
    predictor.signature = predictor.signature.with_updated_fields(first, desc=texts[1] or "described")
    path = tmp_path_factory.mktemp("state") / "program.json"
    program.save(str(path))
    import json

    saved = json.loads(path.read_text())
    state = IMPLS[module].load_state(sig, saved)
    assert native_messages(module, state, inputs) == dspy_messages(program, inputs)


@pytest.mark.parametrize("module", ["predict", "chain_of_thought"])
@pytest.mark.parametrize("blank", [" ", "\r", "\n\t"])
def test_blank_instructions_saved_by_dspy_stay_empty_natively(tmp_path_factory, module, blank):
    """dspy cleans blank instructions to "" and saves them blank; its load sets them as they are (no
    default sentence), and so does native's (hypothesis found native writing the default)."""
    import json

    sig = dspex.Signature("question -> context")
    program, _ = dspy_program(module, sig)
    if module == "chain_of_thought":
        program.predict.signature = program.predict.signature.with_instructions(blank)
    else:
        program.signature = program.signature.with_instructions(blank)
    path = tmp_path_factory.mktemp("state") / "program.json"
    program.save(str(path))
    saved = json.loads(path.read_text())
    assert not (saved.get("predict") or saved)["signature"]["instructions"].strip()
    reloaded, _ = dspy_program(module, sig)
    reloaded.load(str(path))
    inputs = {"question": "q"}
    state = IMPLS[module].load_state(sig, saved)
    assert native_messages(module, state, inputs) == dspy_messages(reloaded, inputs) == dspy_messages(program, inputs)
    # (not DSPy's default sentence; what a blank text prints depends on the Python's inspect.cleandoc)
    assert "Given the fields" not in native_messages(module, state, inputs)[1][0][0]["content"]


_LINE = st.builds(lambda indent, text: indent + text, st.sampled_from(["", " ", "  ", "\t", "    "]),
                  st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12))


@settings(max_examples=60)
@given(st.sampled_from(["predict", "chain_of_thought"]), st.lists(_LINE, min_size=1, max_size=4).map("\n".join))
def test_dump_state_holds_the_instructions_as_dspy_does(module, instructions):
    """dspy cleans a signature's instructions (inspect.cleandoc) when it reads them, so a derived
    signature (ChainOfThought's) holds them cleaned twice; native dumps and prompts them the same."""
    spec = "question -> answer"
    state = IMPLS[module].create(spec, instructions=instructions)
    native = IMPLS[module].dump_state(state)
    make = dspy.ChainOfThought if module == "chain_of_thought" else dspy.Predict
    program = make(dspy.Signature(spec, instructions))
    reference = program.dump_state()
    if module == "chain_of_thought":
        native, reference = native["predict"], reference["predict"]
    assert native["signature"]["instructions"] == reference["signature"]["instructions"]
    inputs = {"question": "q"}
    assert native_messages(module, state, inputs) == dspy_messages(program, inputs)
