"""``ref.parse(completion)`` in the core: served by the implementation's optional ``parse``, a
backend that leaves it out is a CapabilityError naming it, a wrong result a PluginError."""

from __future__ import annotations

from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import hookimpl, registry
from dspex_core.backend import check_implementation, implemented_methods
from dspex_core.errors import CapabilityError, InputError, PluginError


class NoParse:
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return dspex.Prediction(**inputs)


class Parses(NoParse):
    def __init__(self, result: Any = None):
        self.result = result
        self.seen: list[Any] = []

    def parse(self, state, completion, **options):
        self.seen.append((state, completion, options))
        return self.result if self.result is not None else {"a": completion.upper()}


class Registers:
    def __init__(self, impl: Any):
        self.impl = impl

    @hookimpl
    def dspex_register_implementations(self, register):
        register("predict", self.impl, backend="thirdparty")


def test_parse_is_an_optional_method_checked_like_the_others():
    assert "parse" in implemented_methods(Parses())
    assert "parse" not in implemented_methods(NoParse())

    class Wrong(NoParse):
        def parse(self, state):  # the core passes the completion and options too
            return {}

    assert any("parse(state)" in problem for problem in check_implementation(Wrong()))


def test_a_backend_without_parse_is_a_capability_error_naming_it():
    registry.register_plugin(Registers(NoParse()), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    with pytest.raises(CapabilityError, match="backend 'thirdparty' cannot parse 'predict' replies"):
        ref.parse("anything")


def test_parse_passes_the_completion_and_options_and_returns_a_dict():
    impl = Parses()
    registry.register_plugin(Registers(impl), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    assert ref.parse("yes", strict=True) == {"a": "YES"}
    assert impl.seen == [("q -> a", "yes", {"strict": True})]
    with pytest.raises(InputError, match="text of one LM completion"):
        ref.parse({"text": "yes"})


def test_a_result_that_is_not_a_mapping_is_a_plugin_error():
    registry.register_plugin(Registers(Parses(result=["a"])), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    with pytest.raises(PluginError, match="returned list from parse"):
        ref.parse("x")
