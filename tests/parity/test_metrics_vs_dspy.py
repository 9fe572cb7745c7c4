"""Native metrics and evaluation against dspy's own functions, on generated strings.

Code points that Python's Unicode database leaves unassigned (category ``Cn``) are excluded:
dspy's DPR tokenizer uses the ``regex`` module's newer Unicode tables for them (see
``dspex_native.answer_metrics``).
"""

import pytest
from hypothesis import given, strategies as st

dspy = pytest.importorskip("dspy")
from dspy.evaluate import metrics as dm  # noqa: E402

from dspex_core import Example, Prediction  # noqa: E402
from dspex_native import answer_metrics as nm  # noqa: E402

_chars = st.characters(blacklist_categories=("Cs", "Cn"))
_words = st.sampled_from(["a", "an", "the", "The", "A", "Paris", "paris", "tower", "Eiffel", "café", "Café",
                          "naïve", "x", "42", "the's", "an-the", "Ωmega", "ǅemal", "İstanbul", "ß"])
_punct = st.sampled_from(list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "“", "—", "¿", "、"])
_spaces = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2009", "\u200b", ""])
_pieces = st.one_of(_words, _punct, _spaces, st.text(_chars, max_size=4))
texts = st.lists(_pieces, max_size=10).map("".join)
answers = st.one_of(texts, st.lists(texts, min_size=1, max_size=3))


@given(texts)
def test_normalize_text(text):
    assert nm.normalize_text(text) == dm.normalize_text(text)


@given(texts, st.lists(texts, min_size=1, max_size=3))
def test_exact_match_and_f1(prediction, references):
    em = nm.exact_match(prediction, references)
    f1 = nm.f1(prediction, references)
    assert em == dm.EM(prediction, references) and type(em) is type(dm.EM(prediction, references))
    expected = dm.F1(prediction, references)
    assert f1 == expected and type(f1) is type(expected)


@given(texts)
def test_dpr_tokenize(text):
    from dspy.dsp.utils import DPR_normalize

    assert nm.dpr_tokenize(text) == DPR_normalize(text)


@given(answers, texts, st.sampled_from([1.0, 0.9, 0.5, 0.3, 0.0]))
def test_answer_exact_match(answer, pred_answer, frac):
    native = nm.answer_exact_match(Example(answer=answer), Prediction(answer=pred_answer), frac=frac)
    theirs = dm.answer_exact_match(dspy.Example(answer=answer), dspy.Prediction(answer=pred_answer), frac=frac)
    assert native == theirs and type(native) is type(theirs)


@given(answers, st.lists(texts, max_size=4))
def test_answer_passage_match(answer, context):
    native = nm.answer_passage_match(Example(answer=answer), Prediction(context=context))
    theirs = dm.answer_passage_match(dspy.Example(answer=answer), dspy.Prediction(context=context))
    assert native == theirs


@given(st.lists(texts, max_size=4), st.lists(texts, min_size=1, max_size=3))
def test_passage_match(passages, answer_list):
    assert nm.passage_match(passages, answer_list) == dm._passage_match(passages, answer_list)


def test_passage_match_on_sentences():
    passages = ["The Eiffel Tower is in Paris.", "Le Café de Flore, à Paris"]
    for answer in (["Eiffel Tower"], ["cafe de flore"], ["Café de Flore"], ["Tower is"], ["London"]):
        assert nm.passage_match(passages, answer) == dm._passage_match(passages, answer)


# -- evaluation ------------------------------------------------------------------------------
_rows = st.lists(st.tuples(st.one_of(st.booleans(), st.floats(0, 1), st.integers(0, 3)), st.booleans()),
                 min_size=1, max_size=12)


def _native_evaluate(rows, failure_score, max_errors):
    import dspex_core as dspex

    dev = [Example(i=i).with_inputs("i") for i in range(len(rows))]

    def program(i):
        if rows[i][1]:
            raise RuntimeError(f"fail {i}")
        return Prediction(score=rows[i][0])

    ev = dspex.create("evaluate", implementation="native", devset=dev, metric=lambda e, p: p.score,
                      failure_score=failure_score, max_errors=max_errors, num_threads=2, display_progress=False)
    return ev(program=program)


def _dspy_evaluate(rows, failure_score, max_errors):
    dev = [dspy.Example(i=i).with_inputs("i") for i in range(len(rows))]

    def program(i):
        if rows[i][1]:
            raise RuntimeError(f"fail {i}")
        return dspy.Prediction(score=rows[i][0])

    ev = dspy.Evaluate(devset=dev, metric=lambda e, p: p.score, failure_score=failure_score,
                       max_errors=max_errors, num_threads=2, display_progress=False)
    return ev(program)


@given(_rows, st.sampled_from([0.0, 0.5, 1]), st.sampled_from([1, 3, 100]))
def test_evaluate_score_equals_dspy(rows, failure_score, max_errors):
    from dspex_core.errors import EvaluationError

    try:
        theirs = _dspy_evaluate(rows, failure_score, max_errors)
    except Exception as exc:  # dspy's ParallelExecutor cancels with a bare Exception
        assert "cancelled" in str(exc)
        with pytest.raises(EvaluationError):
            _native_evaluate(rows, failure_score, max_errors)
        return
    native = _native_evaluate(rows, failure_score, max_errors)
    assert native.score == theirs.score and type(native.score) is type(theirs.score)
    assert [r[2] for r in native.results] == [r[2] for r in theirs.results]
    assert [dict(r[1].items()) for r in native.results] == [dict(r[1].items()) for r in theirs.results]


def test_evaluate_with_answer_exact_match_equals_dspy():
    import dspex_core as dspex

    pairs = [("Paris", "paris!"), ("the Eiffel Tower", "Eiffel tower"), ("Rome", "Milan"), ("42", "42.0")]
    native_dev = [Example(q=str(i), answer=a).with_inputs("q") for i, (a, _) in enumerate(pairs)]
    dspy_dev = [dspy.Example(q=str(i), answer=a).with_inputs("q") for i, (a, _) in enumerate(pairs)]
    native = dspex.create("evaluate", implementation="native", devset=native_dev, metric=nm.answer_exact_match,
                          display_progress=False)(program=lambda q: Prediction(answer=pairs[int(q)][1]))
    theirs = dspy.Evaluate(devset=dspy_dev, metric=dm.answer_exact_match, display_progress=False)(
        lambda q: dspy.Prediction(answer=pairs[int(q)][1]))
    assert native.score == theirs.score == 50.0


# -- the metrics module type on both backends ----------------------------------------------------
_CASES = [
    ("exact_match", {}, {"prediction": "The Eiffel Tower", "reference": ["eiffel tower", "Louvre"]}),
    ("exact_match", {}, {"prediction": "Paris", "reference": "London"}),
    ("f1", {}, {"prediction": "Eiffel Tower is in Paris", "reference": "Paris"}),
    ("f1", {}, {"prediction": "abc", "reference": ["xyz"]}),
    ("normalize_text", {}, {"text": "The,  Café  Tower!"}),
    ("answer_exact_match", {}, {"example": Example(answer="Paris"), "pred": Prediction(answer="paris.")}),
    ("answer_exact_match", {"frac": 0.4}, {"example": Example(answer=["a b c d e"]), "pred": Prediction(answer="a b")}),
    ("answer_passage_match", {}, {"example": Example(answer="Louvre"),
                                  "pred": Prediction(context=["The Louvre is a museum.", "x"])}),
    ("passage_match", {}, {"passages": ["The Louvre is a museum."], "answers": ["louvre museum"]}),
]


@pytest.mark.parametrize("name, options, inputs", _CASES)
def test_metrics_module_type_agrees_across_backends(name, options, inputs):
    import dspex_core as dspex

    native = dspex.create("metrics", name, implementation="native", **options)(**inputs)
    theirs = dspex.create("metrics", name, implementation="dspy", **options)(**inputs)
    assert native.toDict() == theirs.toDict()
    assert [type(v) for v in native.values()] == [type(v) for v in theirs.values()]


@pytest.mark.parametrize("name, options, inputs", [
    ("exact_match", {}, {"prediction": "a"}),
    ("answer_exact_match", {}, {"example": Example(answer=3), "pred": Prediction(answer="a")}),
    ("answer_exact_match", {}, {"example": Example(answer=[1]), "pred": Prediction(answer="a")}),
    ("f1", {}, {"prediction": "a", "reference": [1]}),
])
def test_metrics_module_type_fails_alike(name, options, inputs):
    import dspex_core as dspex

    for backend in ("native", "dspy"):
        ref = dspex.create("metrics", name, implementation=backend, **options)
        with pytest.raises(dspex.InputError):
            dspex.execute(ref, inputs)


@given(_rows, st.sampled_from([0.0, 0.5]), st.sampled_from([2, 100]))
def test_evaluate_module_type_agrees_across_backends(rows, failure_score, max_errors):
    import dspex_core as dspex

    dev = [Example(i=i).with_inputs("i") for i in range(len(rows))]

    def program(i):
        if rows[i][1]:
            raise RuntimeError(f"fail {i}")
        return Prediction(score=rows[i][0])

    outcomes = []
    for backend in ("native", "dspy"):
        ev = dspex.create("evaluate", implementation=backend, devset=dev, metric=lambda e, p, trace=None: p.score,
                          failure_score=failure_score, max_errors=max_errors, num_threads=2, display_progress=False)
        try:
            result = ev(program=program)
        except dspex.DspexError as exc:
            outcomes.append(("stopped", "max_errors" in str(exc)))
        else:
            outcomes.append((result.score, [r[2] for r in result.results]))
    assert outcomes[0] == outcomes[1]
