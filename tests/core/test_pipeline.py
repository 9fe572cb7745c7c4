"""Pipelines on the core alone, with small real backends registered in-process.

``alpha`` (native) and ``beta`` serve the module types used here. A step's spec is either a
dict ``{"reads": [...], "produces": [...]}`` (the backend's ``describe()`` reports it), or a
signature string (``describe()`` says nothing, so the pipeline reads the signature).
Every output value names the backend and step that made it, so the tests can see who ran.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, strategies as st

import dspex_core as dspex
from dspex_core import InputError, Prediction, StepError, hookimpl, registry, telemetry
from dspex_core import Pipeline, PipelineResult, PipelineStep, StepResult

LOG: list[dict] = []
TYPES = ("step", "predict", "chain_of_thought", "signature", "template", "opaque")


class StepImpl:
    """Produces ``"<backend>:<tag>:<field>"`` for each field; records what each call received."""

    def __init__(self, backend: str, fail_execute: BaseException | None = None,
                 fail_create: BaseException | None = None):
        self.backend = backend
        self.fail_execute = fail_execute
        self.fail_create = fail_create
        self.calls: list[tuple[Any, dict, dict]] = []
        self.log: list[dict] = LOG  # every backend's calls, in order

    def create(self, spec: Any, **options: Any) -> Any:
        if self.fail_create is not None:
            raise self.fail_create
        if isinstance(spec, dict):
            return {"reads": list(spec["reads"]), "produces": list(spec["produces"]), "tag": options.get("tag", ""),
                    "inner": spec.get("inner")}
        if isinstance(spec, str) and "->" in spec:
            sig = dspex.Signature.coerce(spec)
            return {"reads": list(sig.input_fields), "produces": list(sig.output_fields), "tag": options.get("tag", ""),
                    "signature": True}
        return {"reads": [], "produces": ["value"], "tag": "", "opaque": spec}

    def execute(self, state: Any, inputs: Any, **options: Any) -> Prediction:
        self.calls.append((state, dict(inputs), dict(options)))
        self.log.append(dict(inputs))
        if self.fail_execute is not None:
            raise self.fail_execute
        if state.get("inner") is not None:
            dspex.execute(state["inner"], {})  # a module that runs another one
        missing = [f for f in state["reads"] if f not in inputs]
        if missing:
            raise InputError(f"missing {missing}")
        return Prediction({f: f"{self.backend}:{state['tag']}:{f}" for f in state["produces"]})

    def describe(self, state: Any) -> dict[str, Any]:
        if state.get("signature") or "opaque" in state:
            return {}  # say nothing: the pipeline must read the spec
        return {"inputs": state["reads"], "outputs": state["produces"]}


class Backend:
    def __init__(self, name: str, impl: StepImpl, native: bool, types: tuple[str, ...] = TYPES):
        self.name, self.impl, self.native, self.types = name, impl, native, types

    @hookimpl
    def dspex_register_implementations(self, register: Any) -> None:
        for module_type in self.types:
            register(module_type, self.impl, backend=self.name, native=self.native, priority=10)


def install(alpha: StepImpl | None = None, beta: StepImpl | None = None) -> tuple[StepImpl, StepImpl]:
    alpha = alpha or StepImpl("alpha")
    beta = beta or StepImpl("beta")
    registry.register_plugin(Backend("alpha", alpha, native=True), "alpha-plugin")
    registry.register_plugin(Backend("beta", beta, native=False), "beta-plugin")
    return alpha, beta


def spec(reads: list[str], produces: list[str]) -> dict[str, Any]:
    return {"reads": reads, "produces": produces}


# -- building ----------------------------------------------------------------------------------

def test_dspex_pipeline_builds_whatever_was_imported_first():
    """``dspex.pipeline`` stays the function whichever pipeline name is touched first."""
    import subprocess
    import sys

    code = ("import dspex_core as dspex; dspex.PipelineResult; from dspex_core import StepResult; "
            "from dspex_core import InputError\n"
            "try:\n    dspex.pipeline([])\nexcept InputError as e:\n    print('built:', e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("built: a pipeline needs at least one step")


def test_build_learns_fields_and_routes_each_step():
    install()
    p = dspex.pipeline([
        ("alpha", "step", {"spec": spec(["q"], ["k"])}),
        ("auto", dspex.ChainOfThought, {"signature": "k -> analysis"}),
        ("beta", dspex.Template, {"template": spec(["analysis"], ["text"]), "name": "render"}),
    ])
    assert isinstance(p, Pipeline) and len(p) == 3
    assert [s.name for s in p.steps] == ["1:step", "2:chain_of_thought", "render"]
    assert [s.index for s in p.steps] == [1, 2, 3]
    assert [s.implementation for s in p.steps] == ["alpha", "auto", "beta"]
    assert [s.backend for s in p.steps] == ["alpha", "alpha", "beta"]  # auto + prefer_native -> alpha
    assert all(isinstance(s, PipelineStep) and isinstance(s.ref, dspex.ModuleRef) for s in p.steps)
    assert p.steps[1].inputs == ("k",)
    assert p.steps[1].outputs == ("reasoning", "analysis")  # chain_of_thought adds reasoning
    assert p.inputs == ("q",)
    assert p.outputs == ("k", "reasoning", "analysis", "text")
    text = p.describe()
    assert p.explain() == text
    assert "2:chain_of_thought: auto -> alpha; reads k; produces reasoning, analysis" in text
    assert "render: beta -> beta; reads analysis; produces text" in text
    assert len(text.splitlines()) == 3  # one line per step
    assert text.splitlines()[0] == "1:step: alpha -> alpha; reads q; produces k"


def test_a_misspelt_pipeline_input_is_named_with_a_guess():
    install()
    p = dspex.pipeline([("alpha", "step", {"spec": spec(["question"], ["k"])})])
    with pytest.raises(InputError, match=r"needs the input 'question'; given: 'questio' "
                                         r"\(did you mean 'question' for 'questio'\?\)$"):
        dspex.run_pipeline(p, {"questio": "q"})
    with pytest.raises(InputError, match=r"needs the input 'question'; given: 'query'$"):
        dspex.run_pipeline(p, {"query": "q"})


def test_signature_class_and_module_type_names_are_modules():
    install()

    class Search(dspex.Signature):
        query: str = dspex.InputField()
        hits: list[str] = dspex.OutputField()

    p = dspex.pipeline([
        ("alpha", dspex.Signature, {"spec": "query -> keywords: list[str]"}),
        ("alpha", Search),  # a 2-tuple; a signature class is its own spec
        ("beta", "predict", {"signature": "keywords, hits -> answer"}),
    ])
    assert [s.module_type for s in p.steps] == ["signature", "signature", "predict"]
    assert p.steps[0].outputs == ("keywords",) and p.steps[1].outputs == ("hits",)


def test_a_read_nobody_provides_names_the_step_and_the_field():
    install()
    with pytest.raises(InputError) as info:
        dspex.pipeline([
            ("alpha", "step", {"spec": spec(["query"], ["keywords"])}),
            ("auto", "chain_of_thought", {"signature": "keywords, topic -> analysis"}),
        ])
    message = str(info.value)
    assert "'2:chain_of_thought'" in message and "'topic'" in message and "'keywords'" not in message.split(";")[0]
    assert "inputs=[...]" in message


def test_explicit_inputs_are_authoritative():
    install()
    steps = [("alpha", "step", {"spec": spec(["q"], ["k"])}),
             ("alpha", "step", {"spec": spec(["k", "user"], ["answer"])})]
    with pytest.raises(InputError, match="'2:step'.*'user'"):
        dspex.pipeline(steps)
    p = dspex.pipeline(steps, inputs=["q", "user"])
    assert p.inputs == ("q", "user")
    with pytest.raises(InputError, match="'1:step'.*'q'.*add it to inputs"):
        dspex.pipeline(steps, inputs=["user"])
    with pytest.raises(InputError, match="list of field names"):
        dspex.pipeline(steps, inputs="q")


def test_unknown_module_type_names_the_step():
    install()
    with pytest.raises(dspex.UnknownModuleTypeError) as info:
        dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["k"])}),
                        ("auto", "chain_of_thougth", {"signature": "k -> a"})])
    assert "pipeline step '2:chain_of_thougth'" in str(info.value)
    assert "did you mean 'chain_of_thought'" in str(info.value)


def test_an_uninstalled_backend_names_the_step():
    install()
    with pytest.raises(dspex.BackendNotInstalledError, match="pipeline step '1:step' .*gamma"):
        dspex.pipeline([("gamma", "step", {"spec": spec(["q"], ["k"])})])


@pytest.mark.parametrize("bad, expected", [
    ("alpha", "must be \\(implementation, module, options\\)"),
    (("alpha",), "a 1-item tuple"),
    (("alpha", "step", {}, "extra"), "a 4-item tuple"),
    ({"implementation": "alpha"}, "got dict"),
    ((None, "step", {}), "implementation \\(first item\\)"),
    (("alpha", "step", ["spec"]), "options \\(third item\\) must be a dict"),
    (("alpha", 42, {}), "module \\(second item\\)"),
    (("alpha", dspex.Example, {}), "module \\(second item\\)"),
])
def test_bad_step_shapes_say_the_expected_shape(bad, expected):
    install()
    with pytest.raises(InputError, match=expected) as info:
        dspex.pipeline([bad])
    assert "pipeline step 1" in str(info.value)


def test_other_build_mistakes():
    install()
    with pytest.raises(InputError, match="at least one step"):
        dspex.pipeline([])
    with pytest.raises(InputError, match="list of steps"):
        dspex.pipeline("alpha step")
    with pytest.raises(InputError, match="both named 'same'"):
        dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["k"]), "name": "same"}),
                        ("alpha", "step", {"spec": spec(["k"], ["a"]), "name": "same"})])
    with pytest.raises(InputError, match="'spec' or as 'signature', not both"):
        dspex.pipeline([("alpha", "predict", {"spec": "a -> b", "signature": "a -> b"})])
    with pytest.raises(InputError, match="'name' must be"):
        dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["k"]), "name": 3})])


def test_fields_that_cannot_be_known_are_a_build_error_saying_how_to_fix_it():
    install()
    with pytest.raises(InputError) as info:
        dspex.pipeline([("alpha", "opaque", {"spec": 42})])
    message = str(info.value)
    assert "'1:opaque'" in message and "cannot be known" in message and "pass a signature" in message


def test_a_create_error_keeps_its_class_and_names_the_step():
    alpha = StepImpl("alpha", fail_create=dspex.SignatureError("bad spec"))
    install(alpha=alpha)
    with pytest.raises(dspex.SignatureError, match="pipeline step '1:step' \\(alpha step\\): bad spec"):
        dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["k"])})])


# -- running -----------------------------------------------------------------------------------

def three_steps() -> Pipeline:
    return dspex.pipeline([
        ("alpha", "step", {"spec": spec(["q"], ["k", "note"]), "tag": "one"}),
        ("beta", "step", {"spec": spec(["k"], ["analysis", "note"]), "tag": "two"}),
        ("alpha", "step", {"spec": spec(["analysis", "q"], ["text"]), "tag": "three"}),
    ])


def test_run_merges_state_and_gives_each_step_only_what_it_reads():
    alpha, beta = install()
    res = dspex.run_pipeline(three_steps(), {"q": "question", "unused": 1})
    assert isinstance(res, PipelineResult)
    assert res.state == {"q": "question", "unused": 1, "k": "alpha:one:k", "note": "beta:two:note",  # later wins
                         "analysis": "beta:two:analysis", "text": "alpha:three:text"}
    assert [call[1] for call in alpha.calls] == [{"q": "question"}, {"analysis": "beta:two:analysis", "q": "question"}]
    assert [call[1] for call in beta.calls] == [{"k": "alpha:one:k"}]
    assert res["text"] == res.text == "alpha:three:text"
    assert "k" in res and res.get("missing", 0) == 0 and list(res) == list(res.state)
    with pytest.raises(AttributeError, match="no field 'nope'"):
        res.nope


def test_per_step_backend_duration_and_json():
    install()
    res = dspex.run_pipeline(three_steps(), {"q": "x"})
    assert [(s.name, s.index, s.module_type, s.backend, s.fallback_from) for s in res.steps] == [
        ("1:step", 1, "step", "alpha", None), ("2:step", 2, "step", "beta", None), ("3:step", 3, "step", "alpha", None)]
    assert all(isinstance(s, StepResult) and isinstance(s.duration, float) and s.duration >= 0 for s in res.steps)
    assert isinstance(res.duration, float) and res.duration >= max(s.duration for s in res.steps)
    assert res.steps[1].outputs.toDict() == {"analysis": "beta:two:analysis", "note": "beta:two:note"}
    data = json.loads(json.dumps(res.to_dict()))
    assert data["state"]["text"] == "alpha:three:text"
    assert data["steps"][1]["backend"] == "beta" and data["steps"][1]["outputs"]["note"] == "beta:two:note"


def test_missing_caller_inputs_fail_before_any_step_runs():
    alpha, beta = install()
    with pytest.raises(InputError, match="needs the input 'q'"):
        dspex.run_pipeline(three_steps(), {"other": 1})
    with pytest.raises(InputError, match="mapping"):
        dspex.run_pipeline(three_steps(), ["q"])
    with pytest.raises(InputError, match="needs a Pipeline"):
        dspex.run_pipeline([("alpha", "step")], {"q": 1})
    assert alpha.calls == [] and beta.calls == []


def test_a_failing_step_raises_step_error_with_the_state_so_far():
    boom = RuntimeError("beta broke")
    install(beta=StepImpl("beta", fail_execute=boom))
    with pytest.raises(StepError) as info:
        dspex.run_pipeline(three_steps(), {"q": "x"})
    err = info.value
    assert err.step == 2 and err.step_name == "2:step"
    assert err.state == {"q": "x", "k": "alpha:one:k", "note": "alpha:one:note"}
    assert [r.name for r in err.results] == ["1:step"]
    assert err.__cause__ is boom
    assert "'2:step'" in str(err) and "RuntimeError: beta broke" in str(err)


def test_fallback_auto_step_is_retried_on_the_next_backend_and_reported():
    events = []
    telemetry.attach(telemetry.FALLBACK, lambda event, measurements, metadata: events.append(dict(metadata)))
    install(alpha=StepImpl("alpha", fail_execute=dspex.CapabilityError("alpha cannot")))
    p = dspex.pipeline([("auto", "step", {"spec": spec(["q"], ["a"])})])
    assert p.steps[0].backend == "alpha"
    res = dspex.run_pipeline(p, {"q": "x"}, allow_fallback=True)
    assert (res.steps[0].backend, res.steps[0].fallback_from) == ("beta", "alpha")
    assert res.a == "beta::a"
    assert [(e["operation"], e["from_implementation"], e["to_implementation"]) for e in events] == [
        ("execute", "alpha", "beta")]
    assert "CapabilityError: alpha cannot" in events[0]["error"]
    # The next run reports the fallback again (one record per call, not per reference).
    again = dspex.run_pipeline(p, {"q": "y"})
    assert (again.steps[0].backend, again.steps[0].fallback_from) == ("beta", "alpha")


def test_no_fallback_for_input_errors_forced_backends_or_when_disallowed():
    install(alpha=StepImpl("alpha", fail_execute=InputError("your input is wrong")))
    p = dspex.pipeline([("auto", "step", {"spec": spec(["q"], ["a"])})])
    with pytest.raises(StepError) as info:
        dspex.run_pipeline(p, {"q": "x"})
    assert isinstance(info.value.__cause__, InputError)

    registry._extra_plugins.clear()
    install(alpha=StepImpl("alpha", fail_execute=RuntimeError("internal")))
    forced = dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["a"])})])
    with pytest.raises(StepError, match="RuntimeError: internal"):
        dspex.run_pipeline(forced, {"q": "x"})
    auto = dspex.pipeline([("auto", "step", {"spec": spec(["q"], ["a"])})])
    with pytest.raises(StepError, match="RuntimeError: internal"):
        dspex.run_pipeline(auto, {"q": "x"}, allow_fallback=False)
    assert dspex.run_pipeline(auto, {"q": "x"}).steps[0].backend == "beta"


def test_a_nested_modules_fallback_is_not_the_steps():
    class Flaky(StepImpl):
        def execute(self, state: Any, inputs: Any, **options: Any) -> Prediction:
            if state.get("tag") == "flaky":
                raise dspex.CapabilityError("inner module cannot")
            return super().execute(state, inputs, **options)

    install(alpha=Flaky("alpha"))
    inner = dspex.create("step", spec([], ["x"]), tag="flaky")  # auto: alpha, falls back to beta
    p = dspex.pipeline([("alpha", "step", {"spec": {**spec(["q"], ["a"]), "inner": inner}})])
    res = dspex.run_pipeline(p, {"q": "x"})
    assert (res.steps[0].backend, res.steps[0].fallback_from) == ("alpha", None)


def test_create_fallback_is_shown_on_the_step_and_its_results():
    install(alpha=StepImpl("alpha", fail_create=dspex.CapabilityError("not here")))
    p = dspex.pipeline([("auto", "step", {"spec": spec(["q"], ["a"])})])
    assert p.steps[0].backend == "beta" and p.steps[0].create_fallback_from == "alpha"
    assert "auto -> beta (after alpha failed)" in p.describe()
    res = dspex.run_pipeline(p, {"q": "x"})
    assert (res.steps[0].backend, res.steps[0].fallback_from) == ("beta", "alpha")


def test_run_settings_and_step_options():
    alpha, _ = install()
    p = three_steps()
    dspex.run_pipeline(p, {"q": "x"}, step_options={"3:step": {"temperature": 0.1}})
    assert [call[2] for call in alpha.calls] == [{}, {"temperature": 0.1}]
    with pytest.raises(InputError, match="step_options: 'nope' must be a step name"):
        dspex.run_pipeline(p, {"q": "x"}, step_options={"nope": {}})
    with pytest.raises(dspex.ConfigError, match="unknown configuration key 'bogus'"):
        dspex.run_pipeline(p, {"q": "x"}, bogus=1)


def test_run_settings_apply_only_during_the_run():
    seen = []

    class Peek(StepImpl):
        def execute(self, state: Any, inputs: Any, **options: Any) -> Prediction:
            seen.append(dspex.settings().adapter)
            return super().execute(state, inputs, **options)

    install(alpha=Peek("alpha"))
    p = dspex.pipeline([("alpha", "step", {"spec": spec(["q"], ["a"])})])
    dspex.run_pipeline(p, {"q": "x"}, adapter="json")
    dspex.run_pipeline(p, {"q": "x"})
    assert seen == ["json", None]


def test_async_run_equals_sync_run():
    install()
    p = three_steps()
    sync = dspex.run_pipeline(p, {"q": "x"})
    res = asyncio.run(dspex.arun_pipeline(p, {"q": "x"}))
    assert res.state == sync.state
    assert [(s.name, s.backend) for s in res.steps] == [(s.name, s.backend) for s in sync.steps]


def test_async_fallback_and_failure():
    install(alpha=StepImpl("alpha", fail_execute=NotImplementedError("later")))
    p = dspex.pipeline([("auto", "step", {"spec": spec(["q"], ["a"])}),
                        ("alpha", "step", {"spec": spec(["a"], ["b"])})])
    with pytest.raises(StepError) as info:
        asyncio.run(dspex.arun_pipeline(p, {"q": "x"}))
    assert info.value.step_name == "2:step" and info.value.state["a"] == "beta::a"
    assert [(r.backend, r.fallback_from) for r in info.value.results] == [("beta", "alpha")]


# -- property: a pipeline is valid iff every read is provided earlier ---------------------------

FIELDS = ("a", "b", "c", "d", "e", "f")
step_fields = st.tuples(st.lists(st.sampled_from(FIELDS), unique=True, max_size=3),
                        st.lists(st.sampled_from(FIELDS), unique=True, min_size=1, max_size=3))


def first_problem(chain: list[tuple[list[str], list[str]]], given: list[str] | None) -> tuple[int, str] | None:
    available = set(given if given is not None else chain[0][0])
    for index, (reads, produces) in enumerate(chain, 1):
        for field in reads:
            if field not in available:
                return index, field
        available |= set(produces)
    return None


def test_random_chains_build_iff_every_read_is_provided_earlier():
    alpha, beta = install()

    @given(chain=st.lists(step_fields, min_size=1, max_size=5),
           given_inputs=st.none() | st.lists(st.sampled_from(FIELDS), unique=True, max_size=3),
           backends=st.lists(st.sampled_from(["alpha", "beta", "auto"]), min_size=5, max_size=5))
    def check(chain, given_inputs, backends):
        steps = [(backends[i], "step", {"spec": spec(reads, produces)}) for i, (reads, produces) in enumerate(chain)]
        problem = first_problem(chain, given_inputs)
        if problem is not None:
            with pytest.raises(InputError) as info:
                dspex.pipeline(steps, inputs=given_inputs)
            index, field = problem
            assert f"pipeline step '{index}:step'" in str(info.value) and repr(field) in str(info.value)
            return
        p = dspex.pipeline(steps, inputs=given_inputs)
        caller = {name: f"in:{name}" for name in p.inputs}
        LOG.clear()
        res = dspex.run_pipeline(p, caller)
        expected, received = dict(caller), []
        for step, result in zip(p.steps, res.steps):
            received.append({f: expected[f] for f in step.inputs})
            expected.update({f: f"{result.backend}::{f}" for f in step.outputs})
        assert res.state == expected
        assert LOG == received  # each step got exactly what it reads, as the state was then

    check()


# -- a step that is a ModuleRef made already -----------------------------------------------------

def test_an_existing_module_ref_is_a_step_used_as_it_is():
    alpha, beta = install()
    made = dspex.create("step", spec(["k"], ["text"]), implementation="beta", tag="mine")
    created = len(beta.calls)
    p = dspex.pipeline([
        ("alpha", "step", {"spec": spec(["q"], ["k"])}),
        ("auto", made, {"name": "mine"}),
        ("beta", made),
    ])
    assert [s.name for s in p.steps] == ["1:step", "mine", "3:step"]
    assert p.steps[1].ref is made and p.steps[2].ref is made and p.steps[1].backend == "beta"
    assert (p.steps[1].inputs, p.steps[1].outputs) == (("k",), ("text",))
    result = dspex.run_pipeline(p, {"q": "?"})
    assert result["text"] == "beta:mine:text" and [s.backend for s in result.steps] == ["alpha", "beta", "beta"]
    assert len(beta.calls) == created + 2


def test_an_existing_module_ref_step_refuses_another_backend_and_create_options():
    install()
    made = dspex.create("step", spec(["k"], ["text"]), implementation="beta")
    with pytest.raises(InputError, match="a ModuleRef on backend 'beta'; give 'auto' or 'beta'.*got 'alpha'"):
        dspex.pipeline([("alpha", made)])
    with pytest.raises(InputError, match="created already, so options tag cannot apply"):
        dspex.pipeline([("auto", made, {"tag": "x"})])
    with pytest.raises(InputError, match="or a ModuleRef made already"):
        dspex.pipeline([("auto", object())])
