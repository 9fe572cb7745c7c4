"""The ``template`` module type: safe rendering and clear errors."""

import pytest
from hypothesis import given, strategies as st

import dspex_core as dspex
from dspex_core import Example, InputError, Prediction


def make(spec=None, **options):
    return dspex.create("template", spec, implementation="native", **options)


def test_renders_names_and_plain_data():
    t = make("Q: {question} | {doc.title} | {doc[tags][0]} | {items[-1]} | {ex.answer} | {pred[answer]} | {{x}}")
    text = t(question="why?", doc={"title": "T", "tags": ["a", "b"]}, items=[1, 2, 3],
             ex=Example(answer="42"), pred=Prediction(answer="yes")).text
    assert text == "Q: why? | T | a | 3 | 42 | yes | {x}"


def test_format_spec_conversion_and_output_name():
    t = make(template="{score:.2f} {name!r} {word[0]}", output="prompt")
    assert t(score=0.5, name="a", word="xyz").prompt == "0.50 'a' x"
    assert t.describe()["input_fields"] == ["score", "name", "word"]
    assert t.describe()["output_fields"] == ["prompt"]


def test_missing_variable_names_it_and_lists_the_available_ones():
    t = make("Hello {name}, you are {age}")
    with pytest.raises(InputError) as info:
        t(nme="x", age=3)
    assert "'name'" in str(info.value) and "available inputs: age, nme" in str(info.value)


def test_missing_key_lists_keys():
    with pytest.raises(InputError, match="no key 'nme'; available: name"):
        make("{user.nme}")(user={"name": "a"})
    with pytest.raises(InputError, match="out of range"):
        make("{xs[5]}")(xs=[1])


@pytest.mark.parametrize("template", [
    "{x.__class__}", "{x._private}", "{x[__globals__]}", "{_x}", "{x.__class__.__init__.__globals__}",
])
def test_private_names_are_refused_at_create(template):
    with pytest.raises(InputError, match="starting with '_'"):
        make(template)


def test_no_lookups_into_objects():
    class Obj:
        secret = "s"

    with pytest.raises(InputError, match="cannot look into a Obj"):
        make("{o.secret}")(o=Obj())
    with pytest.raises(InputError, match="cannot look into a int"):
        make("{n.real}")(n=3)
    with pytest.raises(InputError, match="only be indexed with a number"):
        make("{xs.append}")(xs=[])


@pytest.mark.parametrize("template, fragment", [
    ("{}", "positional"), ("{0}", "not a variable name"), ("{a", "malformed"), ("a}", "malformed"),
    ("{a:{w}}", "nested"), ("{a[}", "malformed"), ("{a[x]y}", "unexpected"), ("{a[]}", "empty"),
])
def test_malformed_templates_fail_at_create(template, fragment):
    with pytest.raises(InputError, match=fragment):
        make(template)


def test_bad_options():
    with pytest.raises(InputError, match="not both"):
        make("a", template="b")
    with pytest.raises(InputError, match="must be a string"):
        make(None)
    with pytest.raises(InputError, match="output must be a field name"):
        make("x", output="not a name")
    with pytest.raises(InputError, match="unknown options"):
        make("x", strict=True)


_plain = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)


@given(_plain, st.text(max_size=10), _plain)
def test_equals_str_format_for_plain_fields(before, value, after):
    source = f"{before}{{v}}{after}"
    assert make(source)(v=value).text == source.format(v=value)


@pytest.mark.parametrize("key", ["³", "²", "½", "٣", "0"])
def test_an_index_that_looks_like_a_number_is_read_as_str_format_reads_it(key):
    """"³" is a digit int() cannot read: str.format takes it as a key, and so does the template
    (it once failed with a bare ValueError at create); decimal digits of any script are indexes."""
    source = f"{{x[{key}]}}"
    value = {key: "by key"} if not key.isdecimal() else ["a", "b", "c", "d"]
    assert make(source)(x=value).text == source.format(x=value)
