"""The ``signature`` module type: validate and coerce a step's inputs."""

from typing import Optional

import pytest

import dspex_core as dspex
from dspex_core import InputError, InputField, OutputField, Signature


def make(spec, **options):
    return dspex.create("signature", spec, implementation="native", **options)


def test_coerces_cli_strings():
    step = make("query: str, k: int, verbose: bool, tags: list[str], mode: Literal['a', 'b'] -> keywords")
    pred = step(query="ml", k="3", verbose="true", tags='["x", "y"]', mode="b")
    assert pred.toDict() == {"query": "ml", "k": 3, "verbose": True, "tags": ["x", "y"], "mode": "b"}


def test_signature_facade_and_describe():
    ref = Signature.create("a: int -> b", implementation="native")
    assert ref.backend == "native"
    assert Signature.execute(ref, {"a": "7"}).a == 7
    info = ref.describe()
    assert info["input_fields"] == ["a"] and info["output_fields"] == ["a"] and info["types"] == {"a": "int"}


def test_class_based_signature():
    class Search(Signature):
        """Search."""
        query: str = InputField()
        limit: Optional[int] = InputField()
        hits: list[str] = OutputField()

    step = make(Search)
    assert step(query="q").toDict() == {"query": "q", "limit": None}  # a missing Optional is None
    assert step(query="q", limit="2").limit == 2


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
    with pytest.raises(InputError, match="unknown options"):
        make("a ->", strictness=True)
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
