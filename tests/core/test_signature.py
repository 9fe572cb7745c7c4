"""Signature grammar and its errors (the comparison with dspy's parser is in tests/dspy)."""

from __future__ import annotations

import typing
from typing import Literal, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import Field, InputField, OutputField, Signature, SignatureError
from dspex_core._signature import infer_prefix


def test_basic_parse():
    sig = Signature("question, context: list[str] -> answer: int, confidence: float")
    assert list(sig.input_fields) == ["question", "context"]
    assert list(sig.output_fields) == ["answer", "confidence"]
    q = sig.input_fields["question"]
    assert (q.annotation, q.type_given, q.desc, q.prefix, q.kind) == (str, False, None, None, "input")
    assert sig.input_fields["context"].annotation == list[str]
    assert sig.output_fields["answer"].annotation is int and sig.output_fields["answer"].type_given
    assert sig.instructions == "Given the fields `question`, `context`, produce the fields `answer`, `confidence`."
    assert not sig.has_custom_instructions
    assert sig.signature == "question, context: list[str] -> answer: int, confidence: float"


@pytest.mark.parametrize("text,expected", [
    ("bool", bool), ("dict[str, int]", dict[str, int]), ("Literal['a', 'b']", Literal["a", "b"]),
    ("Optional[int]", Optional[int]), ("int | None", Optional[int]), ("None | str", Optional[str]),
    ("list[dict[str, float]]", list[dict[str, float]]), ("str | int", typing.Union[str, int]),
    ("typing.List[int]", typing.List[int]), ("Any", typing.Any),
])
def test_types(text, expected):
    assert Signature(f"x: {text} -> y").input_fields["x"].annotation == expected


def test_the_same_type_text_names_whatever_its_custom_types_say():
    class A: ...
    class B: ...

    first = Signature("d: list[Doc] -> s: Optional[Doc]", custom_types={"Doc": A})
    second = Signature("d: list[Doc] -> s: Optional[Doc]", custom_types={"Doc": B})
    assert first.input_fields["d"].annotation == list[A] and second.input_fields["d"].annotation == list[B]
    assert second.output_fields["s"].annotation == Optional[B]
    assert Signature("d: list[int] -> s", custom_types={"Doc": A}).input_fields["d"].annotation == list[int]


def test_quoted_literals_keep_their_commas_and_brackets():
    sig = Signature("x: Literal['a,b', 'c'], z -> y: Literal['[x', 'y]'], w: Literal['p','q']")
    assert sig.input_fields["x"].annotation == Literal["a,b", "c"] and sig.input_fields["z"].annotation is str
    assert typing.get_args(sig.output_fields["y"].annotation) == ("[x", "y]")
    assert typing.get_args(sig.output_fields["w"].annotation) == ("p", "q")


def test_custom_types_and_instructions():
    class Doc:
        pass

    sig = Signature("d: Doc -> s", instructions="Summarize.", custom_types={"Doc": Doc})
    assert sig.input_fields["d"].annotation is Doc
    assert sig.instructions == "Summarize." and sig.has_custom_instructions
    with pytest.raises(SignatureError, match="unknown type 'Doc'"):
        Signature("d: Doc -> s")


@pytest.mark.parametrize("spec,rule,position,message", [
    ("question answer", "one-arrow", 15, "exactly one '->'"),
    ("a -> b -> c", "one-arrow", 7, "found another one"),
    ("a, 1b -> c", "identifier", 3, "not a valid Python identifier"),
    ("a,, b -> c", "identifier", 2, "empty item"),
    ("class -> c", "keyword", 0, "Python keyword"),
    ("a, a -> c", "distinct-names", 3, "appears twice"),
    ("a -> a", "distinct-names", 5, "both an input and an output"),
    ("a: Foo -> b", "type", 3, "unknown type 'Foo'"),
    ("a: list[ -> b", "type", None, "not valid Python syntax"),
    ("a: -> b", "type", None, "type is missing"),
    ("a: 1 -> b", "type", 3, "is a value, not a type"),
    ("a: Optional[int, str] -> b", "type", None, "exactly one type argument"),
    ("a: dict[str] -> b", "type", None, "two type arguments"),
    ("_a -> b", "identifier", 0, "underscore"),
    ("a: os.path -> b", "type", None, "unknown type 'os'"),
    ("a: int() -> b", "type", None, "unsupported syntax"),
    ("a -> instructions", "reserved", 5, "name of a Signature attribute"),
    ("a: Literal[-1] -> b", "type", None, "unsupported syntax"),
    # types no backend can use, refused by the core so that every backend refuses them alike
    ("a -> b: list[int, str]", "type", 8, "list takes exactly one type argument, got 2"),
    ("a -> b: set[int, str]", "type", 8, "set takes exactly one type argument"),
    ("a: dict[str, ...] -> b", "type", 3, r"'\.\.\.' is only allowed as tuple\[X, \.\.\.\]"),
    ("a -> b: tuple[..., int]", "type", 8, r"'\.\.\.' is only allowed"),
    ("a -> b: " + "list[" * 101 + "str" + "]" * 101, "type", 8, "nests more than 100 levels deep"),
    ("a -> b: " + "dict[str, " * 101 + "int" + "]" * 101, "type", 8, "nests more than 100 levels deep"),
])
def test_errors_point_at_the_problem(spec, rule, position, message):
    with pytest.raises(SignatureError, match=message) as info:
        Signature(spec)
    err = info.value
    assert err.rule == rule and err.spec == spec
    if position is not None:
        assert err.position == position
    assert err.position is not None and 0 <= err.position <= len(spec)
    assert f"(position {err.position})" in str(err)
    assert isinstance(err, dspex.InputError) and isinstance(err, ValueError)


def test_trailing_commas_and_empty_sides():
    assert list(Signature("a, -> b,").input_fields) == ["a"]
    assert list(Signature(" -> b").input_fields) == []
    assert list(Signature("a ->").output_fields) == []


def test_non_ascii_names_are_normalized_like_python():
    assert list(Signature("ﬁle -> b").input_fields) == ["file"]
    with pytest.raises(SignatureError, match="twice"):
        Signature("ﬁle, file -> b")


def test_cached_and_hashable():
    assert Signature("a -> b") is Signature("a -> b")
    assert Signature("a -> b") == Signature("a->b")
    assert hash(Signature("a -> b")) == hash(Signature("a->b"))
    assert Signature("a -> b") != Signature("a -> b", instructions="Do it.")
    assert len({Signature("a -> b"), Signature("a->b"), Signature("a -> c")}) == 2
    with pytest.raises(AttributeError):
        Signature("a -> b").instructions = "x"  # immutable (slots, no setter)


def test_class_based():
    class QA(Signature):
        """Answer with a short fact."""

        question: str = InputField(desc="a trivia question")
        answer: int = OutputField(prefix="Ans:")

    assert Signature.coerce(QA).instructions == "Answer with a short fact."
    assert QA.input_fields["question"].desc == "a trivia question"
    assert QA.output_fields["answer"].prefix == "Ans:" and QA.output_fields["answer"].annotation is int

    class QA2(QA):
        extra: list[str] = InputField()

    assert list(QA2.input_fields) == ["question", "extra"]
    assert QA2.instructions == "Answer with a short fact."  # inherited, as in DSPy
    with pytest.raises(SignatureError, match="InputField"):
        class Bad(Signature):
            x: str = "plain"
    class Untyped(Signature):
        x = InputField()
        y: int = OutputField()
        z: str = InputField()

    assert list(Untyped.input_fields) == ["x", "z"]
    assert (Untyped.input_fields["x"].annotation, Untyped.input_fields["x"].type_given) == (str, False)
    assert Untyped.input_fields["z"].type_given
    assert Untyped.instructions == "Given the fields `x`, `z`, produce the fields `y`."
    with pytest.raises(TypeError, match="class-based"):
        QA("x -> y")
    with pytest.raises(SignatureError, match="Signature attribute"):
        class Bad3(Signature):
            fields: str = InputField()


def test_derivation():
    sig = Signature("a -> b", instructions="Go.")
    assert list(sig.prepend("z", InputField()).input_fields) == ["z", "a"]
    assert list(sig.append("c", OutputField(), int).output_fields) == ["b", "c"]
    assert sig.append("c", OutputField()).instructions == "Go."
    assert list(Signature("a, c -> b").delete("c").input_fields) == ["a"]
    assert Signature("a, c -> b").delete("c").instructions == "Given the fields `a`, produce the fields `b`."
    with pytest.raises(SignatureError, match="already exists"):
        sig.append("a", InputField())
    for bad in ("1x", "class", "_x", "instructions"):
        with pytest.raises(SignatureError, match="cannot be a field name"):
            sig.append(bad, OutputField())
    assert sig.with_instructions("Other.").instructions == "Other."


def test_coerce_errors():
    with pytest.raises(SignatureError, match="got int"):
        Signature.coerce(3)
    with pytest.raises(SignatureError, match="needs a spec"):
        Signature(None)


@pytest.mark.parametrize("name,prefix", [("question", "Question"), ("snake_case_text", "Snake Case Text"),
                                         ("camelCaseText", "Camel Case Text"), ("text2number", "Text 2 Number"),
                                         ("HTMLParser", "HTML Parser")])
def test_infer_prefix(name, prefix):
    assert infer_prefix(name) == prefix


names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda n: not __import__("keyword").iskeyword(n))


@given(st.lists(names, min_size=1, max_size=6, unique=True), st.integers(0, 6),
       st.sampled_from(["", " ", "  ", "\n"]))
def test_roundtrip_property(all_names, split, space):
    ins, outs = all_names[:split], all_names[split:]
    spec = f",{space}".join(ins) + f"{space}->{space}" + f",{space}".join(outs)
    sig = Signature(spec)
    assert list(sig.input_fields) == ins and list(sig.output_fields) == outs
    assert Signature(sig.signature) == sig
    assert all(isinstance(f, Field) and f.annotation is str for f in sig.fields.values())


def test_copy_and_pickle():
    import copy
    import pickle

    sig = Signature("question: list[str], k: int -> answer: Literal['a', 'b']", instructions="Pick.")
    assert copy.copy(sig) is sig and copy.deepcopy(sig) is sig
    again = pickle.loads(pickle.dumps(sig))
    assert again == sig and again.instructions == "Pick." and again.has_custom_instructions
    assert hash(again) == hash(sig)
    plain = pickle.loads(pickle.dumps(Signature("a -> b")))
    assert not plain.has_custom_instructions and plain == Signature("a -> b")


@given(st.text(alphabet="ab ,[](){}:", max_size=24))
def test_fast_comma_split_equals_the_scanning_split_without_quotes(text):
    from dspex_core._signature_grammar import _split_scanning, _split_unquoted

    assert _split_unquoted(text) == _split_scanning(text)


def test_types_within_the_limits_still_parse():
    assert Signature("a -> b: tuple[int, ...]").output_fields["b"].annotation == tuple[int, ...]
    deep = "list[" * 100 + "str" + "]" * 100
    assert Signature(f"a -> b: {deep}").output_fields["b"].type_name == deep
    assert Signature("a -> b: Callable[..., int]").output_fields["b"].type_name.startswith("Callable")


def test_a_class_based_signature_is_held_to_the_same_type_rules():
    with pytest.raises(SignatureError, match="Bad.b: invalid type arguments: list takes exactly one") as info:
        class Bad(Signature):
            a: str = dspex.InputField()
            b: list[int, str] = dspex.OutputField()
    assert info.value.rule == "type"
