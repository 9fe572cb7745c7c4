"""What the native backend declares as not built yet is exactly what raises CapabilityError.

``dspex backends`` lists each implementation's ``not_implemented`` phrases; a phrase there
must correspond to a real refusal (a ``CapabilityError``, so ``allow_fallback`` can send the
call to dspy), and each refusal must name the feature. Every declared phrase has a trigger
here, so a declaration cannot outlive the feature being built, nor be added without one.
"""

import contextlib
import sys
from typing import Callable

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputField, OutputField, Signature, registry
from dspex_core.testing import RecordingLM
from dspex_native import _not_implemented as declared


class Opaque:
    """A class pydantic cannot read (nor DSPy, whose signatures are pydantic models)."""


OPAQUE_OUTPUT = Signature("q -> a: Opaque", custom_types={"Opaque": Opaque})


class TakesCallable(Signature):
    fn: Callable[[int], str] = InputField()
    ok: bool = OutputField()


def _predict_like(module_type: str) -> dict[str, Callable[[], object]]:
    """Per declared phrase: a call that asks ``module_type`` for that feature on native."""
    def create(spec, **options):
        return dspex.create(module_type, spec, implementation="native", **options)

    return {
        declared.ADAPTER_TYPES: lambda: create(OPAQUE_OUTPUT),
        declared.LM_PROVIDERS: lambda: create("q -> a")(q="x", lm=dspex.LM("bedrock/anthropic.claude-3-5-sonnet")),
    }


def _size(text: str) -> int:
    """The length of a text."""
    return len(text)


def _calls() -> type:
    """A signature with a ToolCalls output: DSPy's JSONAdapter sends its tools in the request for a
    model that can call functions (native function calling)."""
    from dspex_native.tools import Tool

    class Calls(Signature):
        tools: list[Tool] = InputField()
        calls: dspex.ToolCalls = OutputField()

    return Calls


def _predict_step(module_type: str) -> dict[str, Callable[[], object]]:
    """predict, chain_of_thought and signature: native function calling, built on OpenAI-style
    requests (dspy's own engine's and LiteLLM's) and Anthropic's and Gemini's own wires, not on
    LiteLLM's Anthropic client."""
    from dspex_native.tools import Tool

    features = _predict_like(module_type)
    features[declared.NATIVE_CALLS] = lambda: dspex.create(module_type, _calls(), implementation="native",
                                                           adapter="json")(
        tools=[Tool(_size)], lm=dspex.LM("anthropic/claude-sonnet-4-5", api_key="sk-unused", engine="litellm"))
    return features


def _comparison() -> dict[str, Callable[[], object]]:
    """multi_chain_comparison runs one predictor: predict's features, asked with its own inputs."""
    features = _predict_like("multi_chain_comparison")
    completions = [{"reasoning": "r", "a": "1"}] * 3
    features[declared.LM_PROVIDERS] = lambda: dspex.create("multi_chain_comparison", "q -> a", implementation="native")(
        q="x", completions=completions, lm=dspex.LM("bedrock/anthropic.claude-3-5-sonnet"))
    return features


def _reward_loop(module_type: str) -> dict[str, Callable[[], object]]:
    """best_of_n, refine and retry: the module they wrap."""
    from dspex_core.backend import ModuleRef

    class Unlisted:  # a native implementation that does not list its predictors
        def create(self, spec, **options):
            return spec

        def execute(self, state, inputs, **options):
            return dspex.Prediction(a="1")

    def create(wrapped, **options):
        return dspex.create(module_type, wrapped, N=2, reward_fn=lambda args, pred: 1.0, threshold=1.0,
                            implementation="native", **options)

    features = {
        declared.FOREIGN_MODULE: lambda: create(ModuleRef("other", "predict", object(), "default")),
    }
    if module_type != "best_of_n":
        features[declared.UNLISTED_PREDICTORS] = lambda: create(
            ModuleRef("native", "react", "state", "default", implementation=Unlisted()))
    return features


def _react() -> dict[str, Callable[[], object]]:
    """react runs two predictors (predict's features, asked with tools=[]) and describes its tools."""
    from datetime import date

    def create(spec, **options):
        return dspex.create("react", spec, implementation="native", **{"tools": [], **options})

    def when(day: date) -> str:
        return str(day)

    return {
        declared.ADAPTER_TYPES: lambda: create(OPAQUE_OUTPUT),
        declared.LM_PROVIDERS: lambda: create("q -> a")(q="x", lm=dspex.LM("bedrock/anthropic.claude-3-5-sonnet")),
        declared.TOOL_TYPES: lambda: _without_pydantic(lambda: create("q -> a", tools=[when])),
    }


def _optimizer(module_type: str) -> dict[str, Callable[[], object]]:
    """bootstrap_few_shot, random search and MIPROv2: the teacher's settings and the program they compile."""
    from dspex_core.backend import ModuleRef

    def create(**options):
        return dspex.create(module_type, implementation="native", metric=lambda e, p, t=None: True, **options)

    trainset = [dspex.Example(q="x", a="1").with_inputs("q")]
    return {
        declared.TEACHER_SETTINGS: lambda: create(teacher_settings={"trace": []}),
        declared.FOREIGN_PROGRAM: lambda: dspex.compile(create(), ModuleRef("other", "predict", object(), "default"),
                                                        trainset=trainset),
    }


def _copro() -> dict[str, Callable[[], object]]:
    features = _optimizer("copro")
    del features[declared.TEACHER_SETTINGS]
    program = dspex.create("predict", "q -> a", implementation="native", lm=RecordingLM([]))
    features[declared.EVAL_FILES] = lambda: dspex.compile(
        dspex.create("copro", implementation="native", metric=lambda e, p, t=None: True), program,
        trainset=[dspex.Example(q="x", a="1").with_inputs("q")], eval_kwargs={"save_as_csv": "out.csv"})
    return features


def _mipro(module_type: str) -> dict[str, Callable[[], object]]:
    features = _optimizer(module_type)

    def without_optuna():
        program = dspex.create("predict", "q -> a", implementation="native", lm=RecordingLM([]))
        optimizer = dspex.create(module_type, implementation="native", metric=lambda e, p, t=None: True)
        trainset = [dspex.Example(q=f"x{i}", a="1").with_inputs("q") for i in range(4)]
        with _hidden_module("optuna"):
            dspex.compile(optimizer, program, trainset=trainset)

    features[declared.WITHOUT_OPTUNA] = without_optuna
    return features


def _without_pydantic(call: Callable[[], object]) -> object:
    """``call()`` as where pydantic is not installed (this env may have it: dspy's envs do)."""
    with _hidden_module("pydantic"):
        return call()


@contextlib.contextmanager
def _hidden_module(name: str):
    """``import name`` fails as it does where the distribution is not installed."""
    saved = {key: sys.modules.pop(key) for key in list(sys.modules) if key == name or key.startswith(name + ".")}
    sys.modules[name] = None
    try:
        yield
    finally:
        del sys.modules[name]
        sys.modules.update(saved)


TRIGGERS = {
    "predict": _predict_step("predict"),
    "react": _react(),
    "chain_of_thought": _predict_step("chain_of_thought"),
    "signature": _predict_step("signature"),
    "program_of_thought": _predict_like("program_of_thought"),  # its steps are predictors
    "validator": {declared.CHECKED_TYPES: lambda: dspex.create("validator", TakesCallable, implementation="native",
                                                                fields="all")},
    "multi_chain_comparison": _comparison(),
    "best_of_n": _reward_loop("best_of_n"),
    "refine": _reward_loop("refine"),
    "retry": _reward_loop("retry"),
    "bootstrap_few_shot": _optimizer("bootstrap_few_shot"),
    "bootstrap_few_shot_with_random_search": _optimizer("bootstrap_few_shot_with_random_search"),
    "copro": _copro(),
    "mipro": _mipro("mipro"),
    "mipro_v2": _mipro("mipro_v2"),
    "lm": {declared.LM_CALL[0]: lambda: dspex.create(
        "lm", lm=dspex.LM("openai/gpt-4o-mini", api_key="sk-x", engine="litellm"), implementation="native")(
        prompt="hi", config={"logprobs": True})},
}

EXPECTED_WORDS = {
    declared.ADAPTER_TYPES: "type Opaque",
    declared.LM_PROVIDERS: "OpenAI-compatible",
    declared.NATIVE_CALLS: "native function calling",
    declared.CHECKED_TYPES: "Callable",
    declared.TOOL_TYPES: "tool argument type date with pydantic",
    declared.FOREIGN_MODULE: "of backend 'other'",
    declared.UNLISTED_PREDICTORS: "does not list its predictors",
    declared.TEACHER_SETTINGS: "teacher_settings 'trace'",
    declared.FOREIGN_PROGRAM: "runs on backend 'other'",
    declared.EVAL_FILES: "save_as_csv",
    declared.WITHOUT_OPTUNA: "optuna is not installed",
    declared.LM_CALL[0]: "logprobs on LiteLLM's route",
}


def native_declarations() -> dict[str, list[str]]:
    (native,) = [b for b in registry.backends() if b.name == "native"]
    return native.not_implemented


def test_every_declaration_has_a_trigger_and_nothing_else_is_declared():
    assert {t: list(TRIGGERS[t]) for t in native_declarations()} == native_declarations()


@pytest.mark.parametrize("module_type, feature",
                         [(t, f) for t, features in TRIGGERS.items() for f in features])
def test_asking_for_a_declared_feature_raises_a_capability_error_naming_it(module_type, feature):
    assert feature in native_declarations()[module_type]
    with pytest.raises(CapabilityError, match=EXPECTED_WORDS[feature]) as info:
        TRIGGERS[module_type][feature]()
    assert isinstance(info.value, NotImplementedError)
