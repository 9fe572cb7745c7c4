"""The native metrics: DSPy's documented examples, edge cases, and the module type."""

import pytest
from hypothesis import given, strategies as st

import dspex_core as dspex
from dspex_core import Example, InputError, Prediction
from dspex_native import answer_metrics as m


def test_normalize_text_documented_example():
    assert m.normalize_text("The,  Eiffel  Tower!") == "eiffel tower"
    assert m.normalize_text("An apple, a pear; THE end.") == "apple pear end"
    assert m.normalize_text("theatre another") == "theatre another"  # articles only as words


def test_normalize_text_unicode_is_decomposed():
    assert m.normalize_text("Café") == "cafe\u0301"


def test_exact_match_and_f1_values_and_types():
    assert m.exact_match("The Eiffel Tower", ["Eiffel Tower", "Louvre"]) is True
    assert m.exact_match("paris", "Paris") is True
    assert m.exact_match("paris", ["Paris, France"]) is False
    assert round(m.f1("Eiffel Tower is in Paris", ["Paris"]), 2) == 0.33
    zero = m.f1("abc", "xyz")
    assert zero == 0 and type(zero) is int  # DSPy returns the int 0 without overlap
    assert m.f1("", "") == 0
    assert m.f1("the Eiffel Tower", "Eiffel Tower") == 1.0


def test_references_must_be_strings():
    with pytest.raises(InputError, match="reference"):
        m.exact_match("a", [])
    with pytest.raises(InputError, match="reference"):
        m.f1("a", [1])


def test_answer_exact_match_with_frac():
    example = Example(answer=["Eiffel Tower", "Louvre"])
    pred = Prediction(answer="The Eiffel Tower")
    assert m.answer_exact_match(example, pred) is True
    assert m.answer_exact_match(example, pred, frac=0.5) is True
    assert m.answer_exact_match(Example(answer="Eiffel Tower in Paris"), Prediction(answer="Tower"), frac=0.4) is True
    assert m.answer_exact_match(Example(answer="Eiffel Tower in Paris"), Prediction(answer="Tower"), frac=0.5) is False
    with pytest.raises(ValueError, match="Invalid answer type"):
        m.answer_exact_match(Example(answer=3), pred)
    with pytest.raises(InputError, match="empty"):
        m.answer_exact_match(Example(answer=[]), pred)
    with pytest.raises(InputError, match="'answer'"):
        m.answer_exact_match(Example(question="q"), pred)


def test_passage_matches():
    example = Example(answer="Eiffel Tower")
    assert m.answer_passage_match(example, Prediction(context=["The Eiffel Tower is in Paris.", "..."])) is True
    assert m.answer_passage_match(example, Prediction(context=["The Louvre."])) is False
    assert m.passage_match(["x", "the eiffel tower!"], ["Eiffel  Tower"]) is True
    assert m.passage_match(["the eiffel-tower"], ["Eiffel Tower"]) is False  # "-" is dropped: one token
    assert m.passage_match(["Eiffel Towers"], "Eiffel Tower") is False  # whole tokens only
    assert m.passage_match(["anything"], "the") is True  # an answer that normalises to nothing matches
    assert m.passage_match("the eiffel tower", "Eiffel Tower") is True  # one string is one passage
    assert m.passage_match([], "Eiffel Tower") is False and m.passage_match(["the eiffel tower"], []) is False
    for bad in (["a", 3], [3, "a"], None, 42):  # every passage is checked, even after a match
        with pytest.raises(InputError, match="passages must be a string or a list of strings"):
            m.passage_match(bad, "")


def test_dpr_tokenize_classes():
    assert m.dpr_tokenize("Hello, wörld! 42x\tč") == ["hello", ",", "wo\u0308rld", "!", "42x", "c\u030c"]
    assert m.dpr_tokenize("\u00a0\u200b a") == ["a"]  # separators and format characters vanish


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text):
    """Normalizing twice changes nothing more: no punctuation, article or double space is left."""
    once = m.normalize_text(text)
    assert m.normalize_text(once) == once
    assert "  " not in once and once == once.strip()
    assert m.exact_match(text, [text]) is True


@given(st.text(max_size=30), st.text(max_size=30))
def test_f1_is_symmetric_and_bounded(a, b):
    assert m.f1_score(a, b) == m.f1_score(b, a)
    assert 0 <= m.f1_score(a, b) <= 1.0


def test_module_type_through_the_router():
    ref = dspex.create("metrics", "f1", implementation="native")
    assert ref.backend == "native"
    assert ref(prediction="Eiffel Tower", reference=["the eiffel tower"]).score == 1.0
    norm = dspex.create("metrics", "normalize_text", implementation="native")
    assert norm(text="The Cat!").text == "cat"
    aem = dspex.create("metrics", "answer_exact_match", frac=0.5, implementation="native")
    assert aem(example=Example(answer="a b c d"), pred=Prediction(answer="a b")).score is True
    pm = dspex.create("metrics", "passage_match", implementation="native")
    assert pm(passages=["paris is big"], answers="Paris").score is True
    assert ref.describe()["input_fields"] == ["prediction", "reference"]


def test_module_type_errors():
    with pytest.raises(InputError, match="known metrics"):
        dspex.create("metrics", "bleu", implementation="native")
    with pytest.raises(InputError, match="frac"):
        dspex.create("metrics", "f1", frac=0.5, implementation="native")
    with pytest.raises(InputError, match="frac must be a number"):
        dspex.create("metrics", "answer_exact_match", frac="x", implementation="native")
    ref = dspex.create("metrics", "exact_match", implementation="native")
    with pytest.raises(InputError, match="missing"):
        dspex.execute(ref, {"prediction": "a"})
    with pytest.raises(InputError, match="unexpected"):
        dspex.execute(ref, {"prediction": "a", "reference": "a", "other": 1})
    with pytest.raises(InputError, match="must be a string"):
        dspex.execute(ref, {"prediction": 3, "reference": "a"})
