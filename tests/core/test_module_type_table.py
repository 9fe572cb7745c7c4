"""The module-type table is the one list of module types: everything else agrees with it.

Facades, ``dspex_core.__all__``, the registry's known types, pipeline field checks, saved-program
detection, ``dspex module-types`` and the index of docs/module-types.md are derived from the
table; these tests fail when one of them drifts. (The README's table is checked against the
installed backends in tests/parity/test_demo.py; the conformance kit's list in tests/plugins.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dspex_core as dspex
from dspex_core import programs, registry
from dspex_core.backend import ModuleType, module_type, module_types
from dspex_core.cli.module_types import markdown_index
from dspex_core.modules import FACADES, ModuleFacade, facade_for, facade_names

from core_test_plugins import BackendPlugin

ROOT = Path(os.environ.get("DSPEX_TEST_ROOT", Path(__file__).parents[2]))
TABLE = module_types()


def test_rows_are_keyed_by_their_names_and_cannot_change():
    assert all(name == row.name for name, row in TABLE.items())
    row = TABLE["chain_of_thought"]
    assert row.extra_outputs == ("reasoning",) and row.facade == "ChainOfThought" and row.saved_predictor == "predict"
    with pytest.raises(AttributeError):
        row.facade = "Other"
    assert module_type("chain_of_thought") is row and module_type("nope") is None


@pytest.mark.parametrize("bad", [dict(name="Not snake"), dict(kind="thing"), dict(spec="a list"), dict(facade="a b")])
def test_a_malformed_row_is_refused(bad):
    fields = dict(name="x_type", facade=None, kind="module", spec="signature", summary="")
    fields.update(bad)
    with pytest.raises(ValueError):
        ModuleType(**fields)


def test_facades_are_the_tables_facades():
    expected = {row.name: row.facade for row in TABLE.values() if row.facade}
    assert facade_names() == expected
    assert {f.module_type: f.__name__ for f in FACADES} == {k: v for k, v in expected.items() if k != "signature"}
    for name, facade in expected.items():
        cls = getattr(dspex, facade)
        assert facade_for(name) is cls
        if name == "signature":
            assert cls is dspex.Signature
        else:
            assert issubclass(cls, ModuleFacade) and cls.module_type == name and cls.__doc__ == TABLE[name].summary
    assert facade_for("bootstrap_finetune") is None


def test_each_facades_create_documents_its_spec_and_options():
    """help(dspex.Predict.create) says what spec is and which options the module type takes."""
    import pydoc

    for facade in FACADES:
        row = module_type(facade.module_type)
        doc = facade.create.__doc__
        assert doc.startswith(f"Create a {row.name!r} module ({row.summary})"), facade
        assert "``spec``: " in doc and "Options: " in doc and "docs/module-types.md" in doc
    shown = pydoc.render_doc(dspex.Predict.create, renderer=pydoc.plaintext)
    for option in ("lm", "demos", "instructions", "adapter", "temperature", "implementation"):
        assert f"``{option}``" in shown
    assert "``reward_fn``" in dspex.Refine.create.__doc__ and "``metric``" in dspex.MIPROv2.create.__doc__


def test_all_exports_every_facade_and_nothing_stale():
    facades = {row.facade for row in TABLE.values() if row.facade}
    assert facades <= set(dspex.__all__)
    exported_facades = {n for n in dspex.__all__ if isinstance(getattr(dspex, n), type)
                        and issubclass(getattr(dspex, n), ModuleFacade) and n != "ModuleFacade"}
    assert exported_facades == facades - {"Signature"}
    for name in dspex.__all__:
        assert hasattr(dspex, name), name


def test_registry_knows_exactly_the_table_and_what_plugins_add():
    assert registry.KNOWN_MODULE_TYPES == tuple(TABLE)
    registry.register_plugin(BackendPlugin("own", ["my_own_type"]), "own")
    assert set(registry.known_module_types()) == set(TABLE) | {"my_own_type"}


def test_saved_programs_follow_the_table():
    assert programs.MODULE_TYPES == tuple(
        name for name, row in sorted(TABLE.items(), key=lambda kv: len(kv[1].extra_outputs))
        if row.saved_predictor is not None)
    assert programs.metadata_for("chain_of_thought", dspex.Signature("q -> reasoning, a")) == {
        "module_type": "chain_of_thought", "signature": "q -> a"}


@pytest.mark.parametrize("name", [n for n, row in TABLE.items() if row.spec == "signature"])
def test_pipeline_steps_read_and_produce_what_the_table_says(name):
    from dspex_core._pipeline_build import StepPlan, step_fields

    class Bare:  # a created step whose backend's describe() says nothing about fields
        backend = "x"

        def describe(self):
            return {}

    reads, produces = step_fields(Bare(), StepPlan(1, "s", "auto", name, "q -> a", {}))
    row = TABLE[name]
    assert reads == ("q", *row.extra_inputs)
    assert produces == (*row.extra_outputs, "a")


def test_docs_index_is_generated_from_the_table():
    text = (ROOT / "docs" / "module-types.md").read_text(encoding="utf-8")
    start, end = "<!-- module-type-index:start -->\n", "\n<!-- module-type-index:end -->"
    assert start in text and end in text
    block = text[text.index(start) + len(start):text.index(end)]
    assert block == markdown_index(), "docs/module-types.md is stale: paste `dspex module-types --markdown` in"


def test_docs_contract_covers_every_type_with_a_facade_and_names_only_known_types():
    import re

    text = (ROOT / "docs" / "module-types.md").read_text(encoding="utf-8")
    contract = text[text.index("## The contract of each module type"):]
    first_cells = [line.split("|")[1] for line in contract.splitlines() if line.startswith("| ")]
    named = {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}
    assert named <= set(TABLE)
    assert {name for name, row in TABLE.items() if row.facade} <= named


def test_cli_lists_the_table():
    dspex_cmd = str(Path(sys.executable).parent / "dspex")
    out = subprocess.run([dspex_cmd, "module-types", "--json"], capture_output=True, text=True, check=True)
    assert [row["name"] for row in json.loads(out.stdout)] == list(TABLE)
    out = subprocess.run([dspex_cmd, "module-types"], capture_output=True, text=True, check=True)
    assert "dspex.ChainOfThought" in out.stdout and "reads completions" in out.stdout
    out = subprocess.run([dspex_cmd, "module-types", "--markdown"], capture_output=True, text=True, check=True)
    assert out.stdout.rstrip("\n") == markdown_index()
