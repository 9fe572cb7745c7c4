"""``ref.render(**inputs)`` in the core: served by the implementation's optional ``render``, a
backend that leaves it out is a CapabilityError naming it, a wrong result a PluginError, and
credentials never reach the result."""

from __future__ import annotations

from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import hookimpl, registry
from dspex_core.backend import check_implementation, implemented_methods, rendered
from dspex_core.errors import CapabilityError, PluginError


class NoRender:
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return dspex.Prediction(**inputs)


class Renders(NoRender):
    def __init__(self, result: Any = None):
        self.result = result
        self.seen: list[Any] = []

    def render(self, state, inputs, **options):
        self.seen.append((state, dict(inputs), options))
        if self.result is not None:
            return self.result
        return rendered([{"role": "user", "content": f"{state}: {inputs}"}],
                        {"temperature": 0.1, "api_key": "sk-never-shown-123456"}, "test/model")


class Registers:
    def __init__(self, impl: Any, backend: str = "thirdparty"):
        self.impl, self.backend = impl, backend

    @hookimpl
    def dspex_register_implementations(self, register):
        register("predict", self.impl, backend=self.backend)


def test_render_is_an_optional_method_checked_like_the_others():
    assert "render" in implemented_methods(Renders())
    assert "render" not in implemented_methods(NoRender())

    class Wrong(NoRender):
        def render(self, state):  # the core passes inputs and call options too
            return {}

    assert any("render(state)" in problem and "render(state, inputs, **options)" in problem
               for problem in check_implementation(Wrong()))


def test_a_backend_without_render_is_a_capability_error_naming_it():
    registry.register_plugin(Registers(NoRender()), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    with pytest.raises(CapabilityError, match="backend 'thirdparty' cannot render 'predict' prompts"):
        ref.render(q="x")


def test_render_passes_inputs_and_call_options_and_drops_credentials():
    impl = Renders()
    registry.register_plugin(Registers(impl), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    shown = ref.render(q="x", config={"n": 2})
    assert impl.seen == [("q -> a", {"q": "x"}, {"config": {"n": 2}})]
    assert shown == {"messages": [{"role": "user", "content": "q -> a: {'q': 'x'}"}],
                     "settings": {"temperature": 0.1}, "model": "test/model"}


@pytest.mark.parametrize("result", [["not", "a", "dict"], {"messages": "text", "settings": {}},
                                    {"messages": [{"content": "no role"}], "settings": {}}, {"messages": []}])
def test_a_render_of_the_wrong_shape_is_a_plugin_error(result):
    registry.register_plugin(Registers(Renders(result)), "p")
    ref = dspex.Predict.create("q -> a", implementation="thirdparty")
    with pytest.raises(PluginError, match="backend 'thirdparty' returned .* from render\\(\\) of 'predict'"):
        ref.render(q="x")
