"""The ``validator`` module type: every problem at once, or raise."""

import pytest

import dspex_core as dspex
from dspex_core import InputError


def make(spec, **options):
    return dspex.create("validator", spec, implementation="native", **options)


def test_valid_outputs():
    v = make("question -> answer: str, score: float, tags: list[str]")
    pred = v(answer="x", score=0.5, tags=["a"], question="ignored")
    assert pred.valid is True and pred.errors == []


def test_all_problems_reported():
    v = make("question -> answer: str, score: float, tags: list[str], kind: Literal['a', 'b']")
    pred = v(answer=3, score="high", kind="c")
    assert pred.valid is False
    assert len(pred.errors) == 4
    assert pred.errors[0] == "answer: expected str, got 3 (int)"
    assert pred.errors[1].startswith("score: expected float, got 'high'")
    assert pred.errors[2] == "tags: missing field (list[str])"
    assert pred.errors[3].startswith("kind: expected Literal['a', 'b']")


def test_same_coercion_rules_as_the_signature_step():
    v = make("q -> n: int, ok: bool")
    assert v(n="3", ok="no").valid is True


def test_fields_inputs_and_all():
    assert make("q: int -> a: int", fields="inputs")(q="x", a="y").errors == ["q: expected int, got 'x' (str)"]
    assert len(make("q: int -> a: int", fields="all")(q="x", a="y").errors) == 2
    with pytest.raises(InputError, match="fields must be one of"):
        make("q -> a", fields="some")


def test_raise_on_error_at_create_or_per_call():
    v = make("q -> a: int, b: int", raise_on_error=True)
    with pytest.raises(InputError) as info:
        v(a="x")
    assert "2 problems" in str(info.value) and "a: expected int" in str(info.value)
    assert "b: missing field" in str(info.value)
    lenient = make("q -> a: int")
    with pytest.raises(InputError, match="1 problem"):
        dspex.execute(lenient, {"a": "x"}, raise_on_error=True)
    assert dspex.execute(lenient, {"a": 1}, raise_on_error=True).valid is True


def test_optional_fields_may_be_missing():
    assert make("q -> a: Optional[int]")().valid is True


def test_unknown_options():
    with pytest.raises(InputError, match="unknown options"):
        make("q -> a", strict=True)
    with pytest.raises(InputError, match="raise_on_error must be"):
        make("q -> a", raise_on_error="yes")
