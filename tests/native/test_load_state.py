"""Native modules saved and loaded again through ``dspex.load`` (no dspy installed here).

The native save writes DSPy's state plus ``metadata.dspex`` (module type, signature with
types), so a native program comes back with the same prompts without a ``--signature``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import Signature
from dspex_core.errors import AdapterParseError, InputError
from dspex_core.testing import RecordingLM
from dspex_core.testing import strategies as ds
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
from dspex_native.modules.predict import implementation as predict

IMPLS = {"predict": predict, "chain_of_thought": chain_of_thought}


def first_messages(state, impl, inputs):
    lm = RecordingLM("unparseable")
    with pytest.raises(AdapterParseError):  # only the prompt matters here
        impl.execute(state, inputs, lm=lm)
    return lm.calls[0].messages


@st.composite
def cases(draw):
    module = draw(st.sampled_from(sorted(IMPLS)))
    spec = draw(ds.signatures())
    sig = spec.signature()
    if "reasoning" in sig.fields:
        sig = sig.delete("reasoning")
        if not sig.output_fields:
            sig = Signature("q -> a")
    instructions = draw(st.sampled_from([None, "Do the task well.", "Line one.\nLine two."]))
    return module, sig, instructions, draw(st.data())


@settings(max_examples=30)
@given(cases())
def test_native_save_then_load_gives_identical_prompts(tmp_path_factory, case):
    module, sig, instructions, data = case
    impl = IMPLS[module]
    demo_values = [{name: f"demo {name} {i}" for name in sig.fields} for i in range(data.draw(st.integers(0, 2)))]
    state = impl.create(sig, demos=demo_values, **({"instructions": instructions} if instructions else {}))
    path = tmp_path_factory.mktemp("saved") / "program.json"
    impl.save(state, path)
    meta = json.loads(path.read_text())["metadata"]["dspex"]
    assert meta["module_type"] == module
    ref = dspex.load(path, implementation="native", **({} if "signature" in meta else {"signature": sig}))
    assert (ref.backend, ref.module_type) == ("native", module)
    inputs = {name: f"value of {name}" for name in sig.input_fields}
    assert first_messages(ref.handle, impl, inputs) == first_messages(state, impl, inputs)


def test_metadata_has_the_create_signature_with_types(tmp_path):
    state = chain_of_thought.create("question, ctx: list[str] -> answer: int, ok: bool")
    chain_of_thought.save(state, tmp_path / "cot.json")
    meta = json.loads((tmp_path / "cot.json").read_text())["metadata"]["dspex"]
    assert meta == {"module_type": "chain_of_thought", "signature": "question, ctx: list[str] -> answer: int, ok: bool"}
    ref = dspex.load(tmp_path / "cot.json")
    assert ref.spec.output_fields["answer"].type_name == "int"


def test_load_options_reach_create_and_saved_demos_win(tmp_path):
    state = predict.create("q -> a", demos=[{"q": "1", "a": "2"}])
    predict.save(state, tmp_path / "p.json")
    ref = dspex.load(tmp_path / "p.json", temperature=0.2, demos=[{"q": "other", "a": "x"}])
    assert ref.describe()["config"] == {"temperature": 0.2}
    assert ref.describe()["demos"] == [{"q": "1", "a": "2"}]
    with pytest.raises(InputError):
        dspex.load(tmp_path / "p.json", not_an_option=1)


def test_dspex_run_with_native_only_and_the_offline_lm(tmp_path):
    state = chain_of_thought.create("topic -> title, tags: list[str]", instructions="Name it.")
    chain_of_thought.save(state, tmp_path / "cot.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_") and k != "OPENAI_API_KEY"}
    out = subprocess.run([str(Path(sys.executable).parent / "dspex"), "run", str(tmp_path / "cot.json"),
                          "--input", "topic=garden birds", "--explain"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert list(result) == ["reasoning", "title", "tags"] and isinstance(result["tags"], list)
    assert "offline LM" in out.stderr and "served by backend 'native'" in out.stderr
