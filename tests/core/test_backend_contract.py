"""The backend contract (dspex_core.backend): what register() accepts and refuses, how the core
finds an implementation's optional methods, and the helpers backends share."""

from __future__ import annotations

import threading
import typing
from typing import Any, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import hookimpl, registry
from dspex_core.backend import (
    OPTIONAL_METHODS,
    Implementation,
    LRUCache,
    allows_none,
    check_implementation,
    cleandoc,
    implemented_methods,
    module_ref,
)
from dspex_core.errors import CapabilityError, ModuleTypeNotServedError


class Minimal:
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return dspex.Prediction(state=state, **inputs)


class Full(Implementation):
    module_type = "predict"

    def create(self, spec, **options):
        return {"spec": spec}

    def execute(self, state, inputs, **options):
        return dspex.Prediction(**inputs)

    async def aexecute(self, state, inputs, **options):
        return dspex.Prediction(asynchronous=True, **inputs)

    def describe(self, state):
        return {"inputs": ["q"], "outputs": ["a"]}

    def load_state(self, spec, state_dict, **options):
        return {"spec": spec, "loaded": state_dict}


def test_a_duck_typed_implementation_meets_the_contract():
    assert check_implementation(Minimal()) == []
    assert implemented_methods(Minimal()) == frozenset()


def test_the_base_class_defaults_do_not_count_as_implemented():
    assert check_implementation(Full()) == []
    assert implemented_methods(Full()) == {"aexecute", "describe", "load_state"}
    assert set(implemented_methods(Full())) <= set(OPTIONAL_METHODS)


def test_the_base_class_defaults_say_what_is_missing():
    with pytest.raises(CapabilityError, match="Full \\(predict\\) cannot save"):
        Full().save({}, "x.json")
    with pytest.raises(CapabilityError, match="is not an optimizer"):
        Full().compile({}, None, trainset=[], valset=None)
    assert Full().describe({}) == {"inputs": ["q"], "outputs": ["a"]}


class NoExecute(Implementation):
    def create(self, spec, **options):
        return spec


class WrongShapes:
    def create(self, spec):  # no **options
        return spec

    def execute(self, state, inputs, extra, **options):  # one positional too many
        return None

    def aexecute(self, state, inputs, **options):  # not async
        return None

    describe = "not callable"

    def compile(self, state, program, **options):  # fine: trainset/valset arrive in **options
        return program

    def load_state(self, spec, state_dict, *, required_flag, **options):
        return spec


@pytest.mark.parametrize("impl,expected", [
    (object(), ["lacks create and execute()"]),
    (NoExecute(), ["lacks execute()"]),
])
def test_missing_required_methods(impl, expected):
    assert check_implementation(impl) == expected


def test_each_mistyped_method_is_named():
    problems = check_implementation(WrongShapes())
    text = "\n".join(problems)
    assert "create(spec) must accept **options" in text
    assert "execute(state, inputs, extra, **options) cannot be called as execute(state, inputs, **options)" in text
    assert "aexecute() must be an async def" in text
    assert "describe is not callable" in text
    assert "load_state(spec, state_dict, *, required_flag, **options) requires required_flag=" in text
    assert not any(p.startswith("compile") for p in problems)


class Registers:
    def __init__(self, module_type: str, impl: Any):
        self.module_type, self.impl = module_type, impl

    @hookimpl
    def dspex_register_implementations(self, register):
        register(self.module_type, self.impl, backend="b")


def test_register_rejects_a_wrong_implementation_naming_plugin_type_and_method():
    with pytest.warns(RuntimeWarning, match="plugin 'broken': implementation .* of 'predict': .*aexecute"):
        registry.register_plugin(Registers("predict", WrongShapes()), "broken")
    (info,) = registry.plugins()
    assert "create(spec) must accept **options" in info.error
    assert registry.list_by_implementation() == {}


def test_register_records_the_optional_methods_once_and_the_core_uses_them():
    registry.register_plugin(Registers("predict", Full()), "full")
    (reg,) = registry.candidates("predict")
    assert reg.methods == {"aexecute", "describe", "load_state"}
    ref = dspex.Predict.create("q -> a")
    assert ref.describe()["outputs"] == ["a"]
    import asyncio

    assert asyncio.run(dspex.aexecute(ref, {"q": 1})).asynchronous is True
    with pytest.raises(CapabilityError, match="cannot save"):
        ref.save("x.json")


@pytest.mark.parametrize("bad,message", [
    ({"priority": "high"}, "priority must be an integer"),
    ({"priority": True}, "priority must be an integer"),
    ({"backend": " "}, "backend must be a non-empty name"),
])
def test_register_arguments_are_validated(bad, message):
    class Plugin:
        @hookimpl
        def dspex_register_implementations(self, register):
            register("predict", Minimal(), **{"backend": "b", **bad})

    with pytest.warns(RuntimeWarning, match=message):
        registry.register_plugin(Plugin(), "p")


def test_module_ref_builds_a_reference_served_by_the_registered_implementation():
    registry.register_plugin(Registers("predict", Full()), "full")
    ref = module_ref("b", "predict", {"spec": "made by the backend"}, spec="q -> a")
    assert ref.backend == "b" and ref.state == ref.handle == {"spec": "made by the backend"}
    assert ref.session_id == "default" and ref(q=2).q == 2 and ref.has("describe")
    with dspex.session() as s:
        assert module_ref("b", "predict", {}).session_id == s.id
    with pytest.raises(ModuleTypeNotServedError, match="backend 'b' does not serve 'react'; it serves: predict"):
        module_ref("b", "react", {})


# -- helpers ----------------------------------------------------------------------------------------

def test_lru_cache_evicts_the_least_recently_used():
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2
    assert cache.get("missing", 0) == 0
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        LRUCache(0)


def test_lru_cache_under_threads_keeps_its_bound():
    cache: LRUCache[int, int] = LRUCache(50)

    def work(offset: int) -> None:
        for i in range(2000):
            key = (i * 7 + offset) % 300
            if cache.get(key) is None:
                cache.put(key, i)
            cache.get(i % 300)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) <= 50


def test_cleandoc_is_inspects():
    import inspect

    for doc in ["", "  one line  ", "First\n    indented\n      more\n\n", "\n\n  Lead\n\tTabbed\n  x", "a\n\n\n",
                "\x1f", " \x0c first\n \x1f second\n  third"]:  # 3.13's strips spaces only, earlier any whitespace
        assert cleandoc(doc) == inspect.cleandoc(doc)


@given(st.text(alphabet=st.sampled_from(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u2028ab"), max_size=40))
def test_cleandoc_is_inspects_on_any_whitespace(doc):
    """Instructions are arbitrary text (the parity suites draw them): the running Python's rule, exactly."""
    import inspect

    assert cleandoc(doc) == inspect.cleandoc(doc)


@pytest.mark.parametrize("annotation,expected", [
    (None, True), (type(None), True), (Optional[int], True), (int | None, True), (typing.Union[int, str], False),
    (typing.Annotated[Optional[str], "x"], True), (int, False), (typing.Any, False), (list[int | None], False),
])
def test_allows_none_is_dspys_rule(annotation, expected):
    assert allows_none(annotation) is expected


# -- unwrap: the object of another library behind a module ----------------------------------------

class Wrapping(Full):
    def unwrap(self, state):
        return ("live", state["spec"])


class BadUnwrap(Minimal):
    def unwrap(self):  # no state
        return None


def test_unwrap_is_an_optional_method_the_core_calls_with_the_state():
    registry.register_plugin(Registers("predict", Wrapping()), "wrapping")
    (reg,) = registry.candidates("predict")
    assert "unwrap" in reg.methods
    assert dspex.Predict.create("q -> a").unwrap() == ("live", "q -> a")
    assert "unwrap(state) cannot be called" not in "\n".join(check_implementation(Wrapping()))
    assert any(p.startswith("unwrap() cannot be called as unwrap(state)") for p in check_implementation(BadUnwrap()))


def test_unwrap_of_a_module_whose_backend_has_no_foreign_object_says_so():
    registry.register_plugin(Registers("predict", Full()), "full")
    ref = dspex.Predict.create("q -> a")
    with pytest.raises(CapabilityError, match=r"'predict' module on backend 'b' has no object of another library "
                                              r"behind it to unwrap; unwrap\(\) returns the live dspy object"):
        ref.unwrap()
    with pytest.raises(CapabilityError, match="keeps no object of another library"):
        Full().unwrap({})


def test_wrap_and_dspy_call_name_the_dspy_backend_when_it_is_not_installed():
    from dspex_core.errors import BackendNotInstalledError, InputError

    with pytest.raises(ModuleTypeNotServedError, match=r"dspex.wrap: .*dspy_module.*pip install dspex-dspy"):
        dspex.wrap(object())
    with pytest.raises(BackendNotInstalledError, match=r"dspex.dspy_call: .*pip install dspex-dspy"):
        dspex.dspy_call("dspy.evaluate.answer_exact_match")
    with pytest.raises(InputError, match="dotted path of a dspy attribute"):
        dspex.dspy_call("os.system", "true")
    registry.register_plugin(Registers("predict", Full()), "full")
    with pytest.raises(InputError, match="already a dspex module"):
        dspex.wrap(dspex.Predict.create("q -> a"))
