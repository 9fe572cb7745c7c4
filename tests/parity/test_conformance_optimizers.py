"""The kit's optimizer and retriever cases against real dspy: they see a wrong optimizer and a wrong
retriever, and the ``mipro``/``mipro_v2`` cases (the slowest, with optuna's search) give the same
result twice on dspy, so a difference they report is the backend's, not the case's.

The kit's own run against native (``test_conformance_native.py``) checks the optimizers and
retrievers native serves; here backends that differ on purpose wrap native's, as the one-byte
prompt slip does for ``predict``.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import registry
from dspex_core.testing.conformance import check_property


def _installed(module_type: str, implementation: Any, backend: str):
    plugin = types.SimpleNamespace()

    @dspex.hookimpl
    def dspex_register_implementations(register):
        register(module_type, implementation, backend=backend, native=False, priority=-100)

    plugin.dspex_register_implementations = dspex_register_implementations
    registry.register_plugin(plugin, backend)
    yield backend
    registry.unregister_plugin(backend)


class _OneDemoShort:
    """Native labeled_few_shot that keeps one demo fewer than it is asked to (``k``)."""

    def create(self, spec: Any = None, **options: Any) -> Any:
        options["k"] = max(0, options.get("k", 16) - 1)
        return dspex.create("labeled_few_shot", spec, implementation="native", **options)

    def execute(self, state: Any, inputs: Any, **options: Any) -> Any:
        return dspex.execute(state, inputs, **options)

    def compile(self, state: Any, program: Any, **options: Any) -> Any:
        return dspex.compile(state, program, **options)


class _ReversedPassages:
    """Native colbert_v2 that returns the server's passages in reverse order."""

    def create(self, spec: Any = None, **options: Any) -> Any:
        return dspex.create("colbert_v2", spec, implementation="native", **options)

    def execute(self, state: Any, inputs: Any, **options: Any) -> Any:
        found = dspex.execute(state, inputs, **options)
        return dspex.Prediction(passages=list(reversed(found.passages)))


@pytest.fixture
def short_labeled():
    yield from _installed("labeled_few_shot", _OneDemoShort(), "native_short")


@pytest.fixture
def reversed_colbert():
    yield from _installed("colbert_v2", _ReversedPassages(), "native_reversed")


def test_the_kit_sees_an_optimizer_that_keeps_one_demo_too_few(short_labeled):
    report = check_property(short_labeled, "labeled_few_shot", "compile", reference="dspy", examples=60, seed=4)
    assert report.status == "differs", report
    assert str(report.difference).startswith("compile: the saved programs differ at "), str(report.difference)
    assert report.example.startswith("OptimizerCase('labeled_few_shot',") and "'k':" in report.example


def test_the_kit_sees_a_retriever_that_reverses_the_passages(reversed_colbert):
    report = check_property(reversed_colbert, "colbert_v2", "retrieval", reference="dspy", examples=60, seed=4)
    assert report.status == "differs", report
    assert str(report.difference).startswith("retrieval: outputs: field 'passages' differs"), str(report.difference)


@pytest.mark.parametrize("module_type", ["mipro", "mipro_v2"])
def test_the_mipro_cases_give_dspy_the_same_result_twice(module_type):
    report = check_property("dspy", module_type, "compile", reference="dspy", examples=15, seed=5)
    assert report.status == "agreed" and report.cases == 15, (report, report.difference)
