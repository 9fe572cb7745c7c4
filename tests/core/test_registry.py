"""Registry behaviour with in-process plugins: bad registrations are reported, never fatal."""

from __future__ import annotations

import os

import pytest

import dspex_core as dspex
from dspex_core import hookimpl, registry
from dspex_core.errors import InputError, PluginError

from core_test_plugins import BackendPlugin, Impl


class Registers:
    def __init__(self, *calls):
        self.calls = calls

    @hookimpl
    def dspex_register_implementations(self, register):
        for args, kwargs in self.calls:
            register(*args, **kwargs)


@pytest.mark.parametrize("calls,message", [
    ([(("predict", object()), {})], "lacks create and execute"),
    ([(("not a type", Impl("x")), {})], "snake_case name"),
    ([(("predict", Impl("x")), {"backend": "b"}), (("predict", Impl("x")), {"backend": "b"})], "twice"),
])
def test_bad_registration_is_recorded(calls, message):
    registry._extra_plugins["good"] = BackendPlugin("good", ["predict"])
    registry._extra_plugins["bad"] = Registers(*calls)
    with pytest.warns(RuntimeWarning, match=message):
        registry.refresh()
    bad = {p.name: p for p in registry.plugins()}["bad"]
    assert message in bad.error
    assert dspex.Predict.create("q -> a").backend == "good"  # the bad plugin's registrations are rolled back
    assert registry.list_by_implementation() == {"good": ["predict"]}
    assert any(b.error and message in b.error for b in registry.backends())


def test_backend_name_owned_by_another_plugin():
    registry._extra_plugins["one"] = BackendPlugin("shared", ["predict"])
    registry._extra_plugins["two"] = BackendPlugin("shared", ["react"])
    with pytest.warns(RuntimeWarning, match="already registered by plugin 'one'"):
        registry.refresh()
    assert registry.list_by_implementation() == {"shared": ["predict"]}


def test_class_is_instantiated_and_plugin_info():
    class Cls:
        def create(self, spec, **o):
            return spec

        def execute(self, state, inputs, **o):
            return dspex.Prediction(state=state)

    registry.register_plugin(Registers(((("predict", Cls)), {"backend": "c", "native": True, "priority": 3})), "c")
    (reg,) = registry.candidates("predict")
    assert isinstance(reg.implementation, Cls) and reg.priority == 3 and reg.native and reg.plugin == "c"
    assert registry.lookup("c", "predict") is reg
    (info,) = registry.plugins()
    assert info.hooks == ["dspex_register_implementations"] and info.distribution == "(in-process)"
    assert info.as_dict()["error"] is None
    (backend,) = registry.backends()
    assert backend.as_dict() == {"name": "c", "plugin": "c", "distribution": "(in-process)", "version": "-",
                                 "native": True, "module_types": ["predict"], "not_implemented": {}, "error": None}


class Partial(Impl):
    not_implemented = ("streaming", "adapter='xml'")


def test_not_implemented_declarations_are_listed_per_module_type():
    registry.register_plugin(Registers((("predict", Partial("p")), {"backend": "p"}),
                                       (("chain_of_thought", Impl("p")), {"backend": "p"})), "p")
    (backend,) = registry.backends()
    assert backend.not_implemented == {"predict": ["streaming", "adapter='xml'"]}
    assert backend.as_dict()["not_implemented"] == {"predict": ["streaming", "adapter='xml'"]}


@pytest.mark.parametrize("declared", ["streaming", [""], [3], {"a": 1}])
def test_a_malformed_not_implemented_is_a_broken_plugin(declared):
    impl = Impl("bad")
    impl.not_implemented = declared
    registry._extra_plugins["good"] = BackendPlugin("good", ["predict"])
    registry._extra_plugins["bad"] = Registers((("chain_of_thought", impl), {}))
    with pytest.warns(RuntimeWarning, match="not_implemented of .* must be a list of non-empty strings"):
        registry.refresh()
    assert registry.list_by_implementation() == {"good": ["predict"]}


class Executors:
    class Ray:
        def map(self, fn, items, *, max_workers=1):
            return [fn(i) for i in items]

    @hookimpl
    def dspex_register_executors(self, register):
        register("ray", self.Ray())


def test_executors():
    assert registry.executor("threads").map(lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]
    registry.register_plugin(Executors(), "ex")
    assert registry.executor("ray").map(str, [1]) == ["1"]
    with pytest.raises(InputError, match="no executor named 'dask'; installed: asyncio, ray, threads"):
        registry.executor("dask")


def test_generation_increases_on_refresh():
    before = registry.get().generation
    assert registry.refresh().generation == before + 1


def test_disable_plugins_blocks_in_process_plugins_too():
    registry._extra_plugins["off"] = BackendPlugin("off", ["predict"])
    registry._extra_plugins["on"] = BackendPlugin("on", ["react"])
    os.environ["DSPEX_DISABLE_PLUGINS"] += ",off"  # the autouse fixture restores it
    registry.refresh()
    assert registry.list_by_implementation() == {"on": ["react"]}
    assert [p.name for p in registry.plugins()] == ["on"]


def test_reading_not_implemented_does_not_wake_a_lazy_proxy():
    class LazyProxy(Impl):
        """Loads its real implementation on first unknown attribute (as dspex_dspy's do)."""

        woken: list = []

        def __getattr__(self, name):
            LazyProxy.woken.append(name)
            raise AttributeError(name)

    registry.register_plugin(Registers((("predict", LazyProxy("lazy")), {"backend": "lazy"})), "lazy")
    assert registry.backends()[0].not_implemented == {} and LazyProxy.woken == []
