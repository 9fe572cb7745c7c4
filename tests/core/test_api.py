"""The user API around the router: facades, ModuleRef, execute/aexecute/compile, and the
forced/missing/unknown errors with messages that say what to do."""

from __future__ import annotations

import asyncio

import pytest

import dspex_core as dspex
from dspex_core import Prediction, registry
from dspex_core.errors import (BackendNotInstalledError, CapabilityError, InputError, ModuleTypeNotServedError,
                               UnknownModuleTypeError)

from core_test_plugins import BackendPlugin, Impl


def _setup():
    registry._extra_plugins["nat"] = BackendPlugin("nat", ["predict", "chain_of_thought"], native=True)
    registry._extra_plugins["in-process-dspy"] = BackendPlugin("dspy", ["predict", "react"])
    registry.refresh()


def test_forced_backend_not_installed_names_installed_ones():
    _setup()
    with pytest.raises(BackendNotInstalledError) as info:
        dspex.Predict.create("q -> a", implementation="ray")
    message = str(info.value)
    assert "'ray'" in message and "'predict'" in message and "nat, dspy" in message
    with dspex.context(implementation_overrides={"predict": "ray"}):
        with pytest.raises(BackendNotInstalledError, match="implementation_overrides"):
            dspex.Predict.create("q -> a")


def test_forced_backend_not_installed_suggests_package():
    with pytest.raises(BackendNotInstalledError, match=r"installed backends: none \(pip install dspex-native\)"):
        dspex.Predict.create("q -> a", implementation="native")


def test_forced_backend_that_does_not_serve_the_type():
    _setup()
    with pytest.raises(ModuleTypeNotServedError) as info:
        dspex.ReAct.create("q -> a", implementation="nat")
    assert "served by: dspy" in str(info.value) and "'nat' serves: predict, chain_of_thought" in str(info.value)


def test_missing_and_unknown_module_types():
    _setup()
    with pytest.raises(ModuleTypeNotServedError, match="no installed backend serves the module type 'mipro_v2'"):
        dspex.MIPROv2.create()
    with pytest.raises(UnknownModuleTypeError) as info:
        dspex.create("chain_of_thougt", "q -> a")
    assert "known module types:" in str(info.value) and "chain_of_thought" in str(info.value)
    with pytest.raises(UnknownModuleTypeError):
        dspex.create("chain_of_thougt", "q -> a", implementation="nat")


def test_python_alias_and_auto():
    _setup()
    assert dspex.Predict.create("q -> a", implementation="python").backend == "dspy"
    assert dspex.Predict.create("q -> a", implementation="auto").backend == "nat"
    with dspex.context(implementation_overrides={"predict": "python"}):
        assert dspex.Predict.create("q -> a").backend == "dspy"


def test_module_ref_and_options_passthrough():
    impl = Impl("nat")
    registry.register_plugin(BackendPlugin("nat", ["predict"], native=True, impl=impl), "nat")
    ref = dspex.Predict.create("q -> a", implementation="nat", temperature=0.2)
    assert (ref.backend, ref.module_type, ref.session_id, ref.spec) == ("nat", "predict", "default", "q -> a")
    assert impl.created[0]["options"] == {"temperature": 0.2}  # implementation= never reaches the backend
    assert ref.handle is impl.created[0]
    pred = ref(q="hi", lm="an-lm", config={"n": 2})
    assert isinstance(pred, Prediction) and pred.q == "hi" and pred["backend"] == "nat"
    assert impl.executed[-1][1:] == ({"q": "hi"}, {"lm": "an-lm", "config": {"n": 2}})
    assert dspex.execute(ref, {"q": "x"}, demos=[]).q == "x"
    assert dspex.Predict.execute(ref, None).backend == "nat"
    assert asyncio.run(dspex.aexecute(ref, {"q": "async"})).q == "async"
    assert repr(ref) == "ModuleRef(backend='nat', module_type='predict', session_id='default')"
    assert ref.describe() == {"backend": "nat", "module_type": "predict", "session_id": "default"}
    with pytest.raises(CapabilityError, match="cannot save"):
        ref.save("/tmp/x")


def test_facade_rejects_wrong_ref_and_non_refs():
    _setup()
    ref = dspex.Predict.create("q -> a")
    with pytest.raises(InputError, match="got a 'predict' module"):
        dspex.ChainOfThought.execute(ref, {"q": "x"})
    with pytest.raises(InputError, match="expected a ModuleRef"):
        dspex.execute("not a ref", {})
    with pytest.raises(InputError, match="expected a ModuleRef"):
        asyncio.run(dspex.aexecute({"x": 1}))


class AsyncImpl(Impl):
    async def acreate(self, spec, **options):
        return {"async": True, "spec": spec}

    async def aexecute(self, state, inputs, **options):
        return Prediction(via="aexecute", **inputs)


def test_async_twins_use_backend_coroutines():
    registry.register_plugin(BackendPlugin("a", ["predict"], impl=AsyncImpl("a")), "a")

    async def main():
        ref = await dspex.Predict.acreate("q -> a")
        return ref.handle, await dspex.Predict.aexecute(ref, {"q": 1})

    handle, pred = asyncio.run(main())
    assert handle == {"async": True, "spec": "q -> a"} and pred.via == "aexecute"


class Optimizer(Impl):
    def compile(self, state, program, *, trainset, valset=None, **options):
        return dspex.ModuleRef(program.backend, program.module_type, {"demos": trainset}, program.session_id,
                               program.spec, program.options, program.implementation)


def test_compile():
    _setup()
    registry.register_plugin(BackendPlugin("opt", ["labeled_few_shot"], impl=Optimizer("opt")), "opt")
    program = dspex.Predict.create("q -> a")
    optimizer = dspex.LabeledFewShot.create()
    train = [dspex.Example(q="1", a="2").with_inputs("q")]
    compiled = dspex.compile(optimizer, program, trainset=train)
    assert compiled.handle == {"demos": train} and compiled.backend == "nat"
    with pytest.raises(InputError, match="non-empty trainset"):
        dspex.compile(optimizer, program, trainset=[])
    with pytest.raises(CapabilityError, match="is not an optimizer"):
        dspex.compile(program, program, trainset=train)
    with pytest.raises(InputError, match="swap them"):
        dspex.compile(program, optimizer, trainset=train)


def test_ref_looks_up_implementation_again_when_backend_gone():
    _setup()
    ref = dspex.Predict.create("q -> a")
    bare = dspex.ModuleRef("gone", "predict", None, "default")
    with pytest.raises(BackendNotInstalledError, match="no longer serves 'predict'"):
        bare(q="x")
    assert ref(q="x").backend == "nat"


def test_lazy_exports_and_dir():
    assert "hookimpl" in dir(dspex) and "pipeline" in dir(dspex)
    assert "History" in dspex.__all__ and dspex.History(messages=[]).messages == []
    assert dspex.hookimpl is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dspex.nope  # noqa: B018


def test_inputs_must_be_a_mapping_or_example():
    impl = Impl("nat")
    registry.register_plugin(BackendPlugin("nat", ["predict"], native=True, impl=impl), "nat")
    ref = dspex.Predict.create("q -> a")
    with pytest.raises(InputError, match="inputs must be a mapping"):
        dspex.execute(ref, ["q"])
    with pytest.raises(InputError, match="got str"):
        asyncio.run(dspex.aexecute(ref, "q"))
    example = dspex.Example(q="x", a="label").with_inputs("q")
    assert dspex.execute(ref, example).toDict() == {"backend": "nat", "q": "x"}
    assert dspex.execute(ref, dspex.Example(q="y")).q == "y"
    from types import MappingProxyType

    assert dspex.execute(ref, MappingProxyType({"q": "z"})).q == "z"
    assert dspex.execute(ref).toDict() == {"backend": "nat"}


def test_unknown_module_type_suggests_the_closest():
    with pytest.raises(UnknownModuleTypeError, match="did you mean 'chain_of_thought'"):
        dspex.create("chain_of_thougt", "q -> a")
