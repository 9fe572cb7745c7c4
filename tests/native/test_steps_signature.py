"""The ``signature`` module type: a typed Predict (validate and coerce the inputs, then ask the
LM for the outputs as native ``predict`` does); without output fields, only the first part."""

import asyncio
from typing import Optional

import pytest

import dspex_core as dspex
from dspex_core import InputError, InputField, OutputField, Signature
from dspex_core.testing import RecordingLM


def make(spec, **options):
    return dspex.create("signature", spec, implementation="native", **options)


def chat_reply(**fields):
    body = "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items())
    return body + "[[ ## completed ## ]]"


def test_coerces_cli_strings():
    step = make("query: str, k: int, verbose: bool, tags: list[str], mode: Literal['a', 'b'] ->")
    pred = step(query="ml", k="3", verbose="true", tags='["x", "y"]', mode="b")
    assert pred.toDict() == {"query": "ml", "k": 3, "verbose": True, "tags": ["x", "y"], "mode": "b"}


def test_signature_facade_and_describe():
    lm = RecordingLM([chat_reply(b="seven")])
    ref = Signature.create("a: int -> b", implementation="native", lm=lm)
    assert ref.backend == "native"
    pred = Signature.execute(ref, {"a": "7"})
    assert pred.toDict() == {"a": 7, "b": "seven"}
    info = ref.describe()
    assert info["inputs"] == ["a"] and info["outputs"] == ["a", "b"]  # what a pipeline step reads / produces
    assert info["input_fields"] == ["a"] and info["output_fields"] == ["b"]
    assert info["types"] == {"a": "int", "b": "str"}


def test_without_outputs_describe_produces_the_inputs():
    info = make("a: int, b ->").describe()
    assert info["inputs"] == ["a", "b"] and info["outputs"] == ["a", "b"] and info["output_fields"] == []


def test_class_based_signature():
    class Search(Signature):
        """Search."""
        query: str = InputField()
        limit: Optional[int] = InputField()
        hits: list[str] = OutputField()

    lm = RecordingLM([chat_reply(hits='["a"]'), chat_reply(hits="[]")])
    step = make(Search, lm=lm)
    assert step(query="q").toDict() == {"query": "q", "limit": None, "hits": ["a"]}  # a missing Optional is None
    assert step(query="q", limit="2").limit == 2
    assert "Search." in lm.calls[0].messages[0]["content"]  # the class's instructions reach the prompt


def test_every_problem_is_reported_at_once():
    step = make("a: int, b: bool, c: str, d: list[int] ->")
    with pytest.raises(InputError) as info:
        step(a="x", b="maybe", d="[1, 'z']", e=1)
    message = str(info.value)
    assert "5 problems" in message
    assert "a: expected int, got 'x' (str)" in message
    assert "b: expected bool" in message
    assert "c: missing input (str)" in message
    assert "d[1]: expected int" in message
    assert "unexpected inputs ['e']" in message


def test_strict_false_ignores_extra_inputs():
    step = make("a: int ->", strict=False)
    assert step(a=1, other="x").toDict() == {"a": 1}


def test_values_of_the_right_type_are_kept():
    items = [1, 2]
    assert make("x: list[int] ->")(x=items).x is items


def test_bad_options():
    with pytest.raises(InputError, match="unknown option 'strictness'.*strict"):
        make("a ->", strictness=True)
    with pytest.raises(InputError, match="no output fields.*temperature"):
        make("a ->", temperature=0.5)
    with pytest.raises(InputError, match="strict must be"):
        make("a ->", strict="yes")
    step = make("a ->")
    with pytest.raises(InputError, match="no call options"):
        dspex.execute(step, {"a": "1"}, config={})
    with pytest.raises(dspex.SignatureError):
        make("not a signature")


def test_unsupported_type_is_a_capability_error():
    from typing import Callable

    class WithCallable(Signature):
        fn: Callable[[int], str] = InputField()
        out: str = OutputField()

    sig = WithCallable
    with pytest.raises(dspex.CapabilityError, match="Callable"):
        make(sig)


@pytest.mark.parametrize("inputs", [{"a": "1"}, {"a": 1}])
def test_async(inputs):
    import asyncio

    step = make("a: int ->")
    assert asyncio.run(step.acall(**inputs)).a == 1


# -- the typed Predict: an LM call for the output fields --------------------------------------

KEYWORDS_STEP = "query -> keywords: list[str]"


def test_keywords_step_produces_typed_outputs_and_keeps_the_inputs():
    lm = RecordingLM([chat_reply(keywords='["dspy", "prompting"]')])
    pred = make(KEYWORDS_STEP, lm=lm)(query="explain DSPy")
    assert pred.toDict() == {"query": "explain DSPy", "keywords": ["dspy", "prompting"]}
    assert list(pred.keys()) == ["query", "keywords"]  # inputs first, then outputs
    assert len(lm.calls) == 1


@pytest.mark.parametrize("spec, inputs, coerced", [
    (KEYWORDS_STEP, {"query": "explain DSPy"}, {"query": "explain DSPy"}),
    ("question: str, k: int, flags: list[bool] -> answer: int, why", {"question": "q", "k": "3", "flags": "[true]"},
     {"question": "q", "k": 3, "flags": [True]}),
])
@pytest.mark.parametrize("options", [{}, {"temperature": 0.3, "max_tokens": 50},
                                     {"adapter": "json"}, {"instructions": "Be brief."},
                                     {"demos": [{"query": "x", "question": "x", "k": 1, "flags": [],
                                                 "keywords": ["y"], "answer": 1, "why": "w"}]}])
def test_prompt_equals_native_predict_on_the_coerced_inputs(spec, inputs, coerced, options):
    """Same signature, options and coerced inputs: the same request as native predict."""
    outputs = list(Signature.coerce(spec).output_fields)
    if options.get("adapter") == "json":
        reply = "{" + ", ".join(f'"{name}": {"[]" if name == "keywords" else "1"}' for name in outputs) + "}"
    else:
        reply = chat_reply(**{name: ("[]" if name == "keywords" else "1") for name in outputs})
    step_lm, predict_lm = RecordingLM(reply), RecordingLM(reply)
    step_pred = make(spec, lm=step_lm, **options)(**inputs)
    plain = dspex.create("predict", spec, implementation="native", lm=predict_lm, **options)(**coerced)
    assert step_lm.calls == predict_lm.calls
    assert len(step_lm.calls) == 1
    assert step_pred.toDict() == {**coerced, **plain.toDict()}


def test_input_problems_are_raised_before_any_lm_call():
    lm = RecordingLM([chat_reply(answer="1")])
    step = make("a: int, b: bool -> answer: int", lm=lm)
    with pytest.raises(InputError, match="2 problems"):
        step(a="x", b="maybe")
    assert lm.calls == []


def test_lm_from_settings_and_call_options():
    configured = RecordingLM([chat_reply(out="from settings")])
    per_call = RecordingLM([chat_reply(out="from the call")])
    step = make("a -> out")
    with dspex.context(lm=configured):
        assert step(a="1").out == "from settings"
        assert dspex.execute(step, {"a": "1"}, lm=per_call, config={"temperature": 0.9}).out == "from the call"
    assert per_call.calls[0].settings == {"temperature": 0.9}
    with pytest.raises(InputError, match="unknown call option"):
        dspex.execute(step, {"a": "1"}, lm=per_call, strict=False)


def test_no_lm_configured_is_an_input_error():
    with dspex.context(lm=None):
        with pytest.raises(InputError, match="configure"):
            make("a -> out")(a="1")


def test_n_completions_keep_the_inputs():
    lm = RecordingLM([chat_reply(out="1"), chat_reply(out="2")])
    pred = make("a: int -> out: int", lm=lm, n=2)(a="5")
    assert pred.toDict() == {"a": 5, "out": 1}
    assert pred.completions == [{"a": 5, "out": 1}, {"a": 5, "out": 2}]


def test_async_with_an_lm():
    lm = RecordingLM([chat_reply(out="x")])
    step = make("a: int -> out", lm=lm)
    assert asyncio.run(step.acall(a="2")).toDict() == {"a": 2, "out": "x"}
    with pytest.raises(InputError):
        asyncio.run(step.acall(a="two"))
    assert len(lm.calls) == 1


def test_unsupported_settings_adapter_is_a_capability_error_at_execute():
    """What makes an ``auto`` pipeline step fall back to dspy: a configured adapter native lacks
    (an adapter object, such as one of dspy's, which only the dspy backend runs)."""
    class TwoStepAdapter:
        pass

    step = make("a -> out", lm=RecordingLM([chat_reply(out="x")]))
    with dspex.context(adapter=TwoStepAdapter()):
        with pytest.raises(dspex.CapabilityError, match="TwoStepAdapter"):
            step(a="1")


def test_settings_adapter_xml_is_served_natively():
    lm = RecordingLM(["<out>\nx\n</out>"])
    step = make("a -> out", lm=lm)
    with dspex.context(adapter="xml"):
        assert step(a="1").out == "x"
    assert lm.calls[0].messages[-1]["content"].startswith("<a>\n1\n</a>")
