"""The dspy backend's layout: one file per module type in ``dspex_dspy/modules``, registered by
the plugin as lazy stand-ins that declare exactly the methods of their implementations; and
``dump_state``/``load_state``, which every module type with state has."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from dspy_helpers import chat

import dspex_core as dspex
from dspex_core import registry
from dspex_core.backend import check_implementation, implemented_methods, module_types
from dspex_core.testing import RecordingLM
from dspex_dspy import modules, store
from dspex_dspy.plugin import implementation_for

MODULE_FILES = sorted(path.stem for path in Path(modules.__file__).parent.glob("*.py") if path.stem != "__init__")

#: The module types the dspy backend served when the files were laid out one per type.
SERVED = {"predict", "chain_of_thought", "react", "program_of_thought", "multi_chain_comparison", "retry",
          "best_of_n", "refine", "colbert_v2", "retrieve", "evaluate", "metrics", "labeled_few_shot",
          "bootstrap_few_shot", "bootstrap_few_shot_with_random_search", "copro", "mipro_v2", "mipro", "parallel",
          # the rest of DSPy 3.4, served through dspy only, and the escape hatch's dspy_module
          "code_act", "rlm", "flex", "dspy_module", "gepa", "simba", "infer_rules", "knn_few_shot", "ensemble",
          "better_together",
          # a direct LM call (dspy.LM.__call__)
          "lm"}


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_every_file_in_modules_is_a_known_module_type_registered_by_the_plugin():
    assert set(MODULE_FILES) == SERVED
    assert set(MODULE_FILES) <= set(module_types())
    assert sorted(registry.list_by_implementation()["dspy"]) == MODULE_FILES
    for name in MODULE_FILES:
        implementation = importlib.import_module(f"dspex_dspy.modules.{name}").implementation
        assert implementation.module_type == name
        assert implementation_for(name) is implementation


@pytest.mark.parametrize("module_type", MODULE_FILES)
def test_the_stand_in_declares_exactly_the_methods_of_its_implementation(module_type):
    stand_in = registry.lookup("dspy", module_type).implementation
    real = importlib.import_module(f"dspex_dspy.modules.{module_type}").implementation
    assert check_implementation(real) == []
    assert implemented_methods(stand_in) == implemented_methods(real)
    assert ("compile" in implemented_methods(real)) == (module_types()[module_type].kind == "optimizer")
    assert {"describe", "save", "dump_state", "load_state", "unwrap"} <= implemented_methods(real)


def test_building_the_registry_imports_neither_dspy_nor_the_module_files():
    code = ("import sys, dspex_core\n"
            "dspex_core.registry.get()\n"
            "print(sorted(m for m in sys.modules if m == 'dspy' or m.startswith(('dspy.', 'dspex_dspy.modules.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _saved(state: dict) -> dict:
    return json.loads(json.dumps(state))  # what a file would give back


@pytest.mark.parametrize("module_type, options, inputs, replies", [
    ("react", {"tools": [get_weather]}, {"question": "Weather in Oslo?"},
     [chat(next_thought="Done.", next_tool_name="finish", next_tool_args={}), chat(reasoning="r", answer="cold")]),
    ("multi_chain_comparison", {"M": 2},
     {"question": "2+2?", "completions": [{"reasoning": "add", "answer": "4"}, {"reasoning": "count", "answer": "4"}]},
     [chat(rationale="Both say 4.", answer="4")]),
])
def test_dump_state_then_load_state_gives_a_module_that_sends_the_same_prompt(module_type, options, inputs, replies):
    impl = implementation_for(module_type)
    original = dspex.create(module_type, "question -> answer", implementation="dspy", instructions="Answer briefly.",
                            demos=[dspex.Example(question="Weather in Rome?", answer="warm")], **options)
    state = _saved(impl.dump_state(original.state))
    loaded = impl.load_state("question -> answer", state, **options)
    assert _saved(impl.dump_state(loaded)) == state

    sent = RecordingLM(replies)
    original(**inputs, lm=sent)
    again = RecordingLM(replies)
    assert impl.execute(loaded, inputs, lm=again) == original(**inputs, lm=RecordingLM(replies))
    assert [call.messages for call in again.calls] == [call.messages for call in sent.calls]

    fresh = RecordingLM(replies)  # the same module type without the state: the state made the difference
    dspex.create(module_type, "question -> answer", implementation="dspy", **options)(**inputs, lm=fresh)
    assert [call.messages for call in fresh.calls] != [call.messages for call in sent.calls]


def test_load_state_errors_are_input_errors_and_free_the_module():
    impl = implementation_for("react")
    before = store.count()
    with pytest.raises(dspex.InputError, match="does not fit a dspy react"):
        impl.load_state("question -> answer", {"react": {"signature": "not a state"}}, tools=[get_weather])
    assert store.count() == before


@pytest.mark.parametrize("module_type, spec, options", [
    ("metrics", "f1", {}),
    ("evaluate", None, {"devset": [dspex.Example(question="q", answer="a").with_inputs("question")]}),
    ("colbert_v2", None, {"url": "http://127.0.0.1:9"}),
    ("labeled_few_shot", None, {}),
])
def test_module_types_without_state_cannot_dump_or_load_it(module_type, spec, options):
    impl = implementation_for(module_type)
    ref = dspex.create(module_type, spec, implementation="dspy", **options)
    with pytest.raises(dspex.CapabilityError, match=f"{module_type} has no learned state to dump"):
        impl.dump_state(ref.state)
    with pytest.raises(dspex.CapabilityError, match=f"{module_type} has no learned state to load"):
        impl.load_state(spec, {}, **options)


def test_retrieve_state_is_dspys_k():
    impl = implementation_for("retrieve")
    ref = dspex.Retrieve.create(k=5, implementation="dspy")
    assert impl.dump_state(ref.state) == {"k": 5}
    loaded = impl.load_state(None, {"k": 5}, rm=lambda query, k: [f"passage {i}" for i in range(k)])
    assert impl.execute(loaded, {"query": "q"})["passages"] == [f"passage {i}" for i in range(5)]
