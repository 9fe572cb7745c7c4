"""dspex's signature grammar against dspy's own parser (dspy is the oracle).

Within the documented grammar (identifiers, ``->``, commas, ``: type`` with int, float,
bool, str, list[...], dict[...], Literal[...], Optional[...] and ``X | None``), dspex
accepts a string exactly when dspy does, and then agrees on field names and order, kinds,
annotations, whether a type was written, the default desc/prefix and the default
instructions.

Corners where dspy is laxer than its own grammar, excluded on purpose (dspex rejects them
with a clear error, see tests/core/test_signature.py):

* a name repeated on one side (``a, a -> b``): dspy's ``ast`` trick keeps one silently;
* defaults and star arguments (``a=1 -> b``, ``*a -> b``, ``a, / -> b``): dspy wraps the
  side in ``def f(...)`` and so accepts, and silently drops or ignores, them;
* a bare ``None`` annotation (``a: None``), which dspy turns into ``str``;
* names starting with ``model_`` (pydantic's namespace: some are errors, some warnings).

Names dspy fails on and dspex rejects too, as reserved: the attributes of a signature
(``instructions``, ``signature``, ``fields``, ``input_fields``, ``output_fields``), and names
starting with ``_``.
"""

from __future__ import annotations

import keyword
import warnings

import dspy  # the oracle; this file runs in the tox env `dspy`, where it is installed
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dspex_core import Signature, SignatureError
from dspex_core._signature import RESERVED_NAMES, infer_prefix

# -- strategies ---------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not n.startswith("model_") and n not in RESERVED_NAMES)

literal_text = st.text(alphabet="abcxyz XYZ019,:[]()_.", max_size=6)
literal_value = st.one_of(literal_text.map(repr), st.integers(0, 99).map(str))  # -1 is a UnaryOp: both reject


def _types(children):
    return st.one_of(
        st.builds("list[{}]".format, children),
        st.builds("dict[{}, {}]".format, st.sampled_from(["str", "int"]), children),
        st.builds("Optional[{}]".format, children),
        st.builds("{} | None".format, children),
        st.builds("None | {}".format, children),
    )


types = st.recursive(st.sampled_from(["int", "float", "bool", "str"]), _types, max_leaves=4) | \
    st.lists(literal_value, min_size=1, max_size=3).map(lambda vs: f"Literal[{', '.join(vs)}]")
space = st.sampled_from(["", " ", "  ", "\n", "\t"])


@st.composite
def fields(draw, min_size=0):
    chosen = draw(st.lists(names, min_size=min_size, max_size=4, unique=True))
    parts = []
    for name in chosen:
        typ = draw(st.none() | types)
        parts.append(name if typ is None else f"{name}{draw(space)}:{draw(space)}{typ}")
    return chosen, parts


@st.composite
def valid_signatures(draw):
    ins, in_parts = draw(fields())
    outs, out_parts = draw(fields())
    assume(not set(ins) & set(outs))
    sep = draw(st.sampled_from([",", ", ", " ,", ",\n"]))
    left = sep.join(in_parts) + (draw(st.sampled_from(["", ","])) if in_parts else "")
    right = sep.join(out_parts) + (draw(st.sampled_from(["", ","])) if out_parts else "")
    return f"{draw(space)}{left}{draw(space)}->{draw(space)}{right}{draw(space)}"


# -- comparison ----------------------------------------------------------------------------

def dspy_signature(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dspy warns about names shadowing Signature attributes
        return dspy.Signature(spec)


def assert_same(spec):
    assert_equivalent(Signature(spec), dspy_signature(spec))


def assert_equivalent(ours, theirs):
    assert list(ours.input_fields) == list(theirs.input_fields)
    assert list(ours.output_fields) == list(theirs.output_fields)
    assert ours.instructions == theirs.instructions
    for kind, mine, other in (("input", ours.input_fields, theirs.input_fields),
                              ("output", ours.output_fields, theirs.output_fields)):
        for name, field in mine.items():
            info = other[name]
            extra = info.json_schema_extra
            assert field.kind == kind == extra["__dspy_field_type"]
            assert field.annotation == info.annotation, (name, field.annotation, info.annotation)
            assert (field.desc or f"${{{name}}}") == extra["desc"]
            assert (field.prefix or infer_prefix(name) + ":") == extra["prefix"]
            if kind == "input":  # dspy records this for inputs only
                assert (not field.type_given) == extra.get("IS_TYPE_UNDEFINED", False)


def dspy_accepts(spec):
    try:
        dspy_signature(spec)
    except Exception:  # noqa: BLE001 - dspy raises ValueError, SyntaxError, TypeError, pydantic errors
        return False
    return True


# -- tests ---------------------------------------------------------------------------------

@given(valid_signatures())
def test_valid_signatures_agree(spec):
    assert_same(spec)


@pytest.mark.parametrize("spec", [
    "question -> answer",
    "question, context: list[str] -> answer: int, confidence: float",
    "a: dict[str, list[int]] -> b: Optional[bool]",
    "a: int | None -> b: None | str",
    "a: Literal['x', 'y,z', 3] -> b",
    "a: str | int -> b",
    "a: typing.List[int] -> b",
    "a, -> b,",
    " -> b",
    "a ->",
    "ﬁle -> b",  # NFKC, as Python normalizes identifiers
    "match, case, type -> b1",
    "json, copy -> schema",  # dspy warns that these shadow pydantic attributes, but accepts them
])
def test_examples_agree(spec):
    assert_same(spec)


INVALID = [
    "question answer",              # no arrow
    "a -> b -> c",                  # two arrows
    "a: Literal['->'] -> b",        # an arrow inside a literal is still a second arrow
    "class -> b",                   # keyword
    "a -> None",                    # keyword
    "1a -> b",                      # not an identifier
    "a-b -> c",
    "a b -> c",
    "a.b -> c",
    "a,, b -> c",                   # empty item
    ", a -> b",
    "a -> a",                       # both sides
    "a: Foo -> b",                  # unknown type
    "a: list[ -> b",                # broken type syntax
    "a: -> b",                      # missing type
    "a: 1 -> b",                    # a value, not a type
    "a: 'int' -> b",
    "a: Optional[int, str] -> b",
    "a: dict[str] -> b",
    "_a -> b",                      # leading underscore (pydantic private)
    "a: int: str -> b",
    "instructions -> b",            # the names of Signature attributes
    "a -> signature",
    "fields, input_fields -> output_fields",
    "a: Literal[-1] -> b",         # a unary minus is not a literal to either parser
]


@pytest.mark.parametrize("spec", INVALID)
def test_examples_both_reject(spec):
    assert not dspy_accepts(spec)
    with pytest.raises(SignatureError):
        Signature(spec)


@st.composite
def broken_signatures(draw):
    """A valid signature with one mistake put in."""
    ins, in_parts = draw(fields(min_size=1))
    outs, out_parts = draw(fields(min_size=1))
    assume(not set(ins) & set(outs))
    mistake = draw(st.sampled_from(["reserved", "no-arrow", "two-arrows", "keyword", "digit", "empty-item", "both-sides",
                                    "unknown-type", "bad-syntax", "missing-type", "value-type", "optional-arity",
                                    "dict-arity", "underscore", "dash"]))
    index = draw(st.integers(0, len(in_parts) - 1))
    if mistake == "reserved":
        in_parts[index] = draw(st.sampled_from(sorted(RESERVED_NAMES)))
    elif mistake == "keyword":
        in_parts[index] = draw(st.sampled_from(["class", "def", "None", "True", "lambda", "for"]))
    elif mistake == "digit":
        in_parts[index] = draw(st.integers(0, 9).map(str)) + in_parts[index]
    elif mistake == "empty-item":
        in_parts.insert(index, "")
    elif mistake == "both-sides":
        out_parts.append(ins[index])
    elif mistake == "unknown-type":
        in_parts[index] = f"{ins[index]}: {draw(st.sampled_from(['Foo', 'list[Bar]', 'Strr', 'integer']))}"
    elif mistake == "bad-syntax":
        in_parts[index] = f"{ins[index]}: {draw(st.sampled_from(['list[', 'dict[str,', 'int]', 'int |']))}"
    elif mistake == "missing-type":
        in_parts[index] = f"{ins[index]}:"
    elif mistake == "value-type":
        in_parts[index] = f"{ins[index]}: {draw(st.sampled_from(['1', repr('str'), '2.5']))}"
    elif mistake == "optional-arity":
        in_parts[index] = f"{ins[index]}: Optional[int, str]"
    elif mistake == "dict-arity":
        in_parts[index] = f"{ins[index]}: dict[str]"
    elif mistake == "underscore":
        in_parts[index] = "_" + in_parts[index]
    elif mistake == "dash":
        in_parts[index] = ins[index] + "-x"
    left, right = ", ".join(in_parts), ", ".join(out_parts)
    if mistake == "no-arrow":
        return f"{left} {right}"
    if mistake == "two-arrows":
        return f"{left} -> {right} -> z"
    return f"{left} -> {right}"


@given(broken_signatures())
def test_broken_signatures_both_reject(spec):
    assert not dspy_accepts(spec), spec
    with pytest.raises(SignatureError) as info:
        Signature(spec)
    assert info.value.position is not None and 0 <= info.value.position <= len(spec)


TOKENS = ["a", "b", "c", "int", "str", "->", ",", ":", " ", "list[", "]", " | None", "dict[str, ", "class", "1",
          "_x", "Literal['x']", "Optional[", "Foo", "\n"]


@given(st.lists(st.sampled_from(TOKENS), max_size=12).map("".join))
def test_token_soup_accept_exactly_when_dspy_accepts(spec):
    try:
        Signature(spec)
        ours = True
    except SignatureError as exc:
        assume(exc.rule != "distinct-names" or "appears twice" not in str(exc))  # dspy's lax corner, see top
        ours = False
    assert ours == dspy_accepts(spec), spec
    if ours:
        assert_same(spec)


def test_class_based_signatures_agree():
    """The same class-based signatures written for both: fields, types, descs, instructions."""
    from dspex_core import InputField, OutputField

    class OursQA(Signature):
        """Answer with a short fact.

            Be brief."""

        question = InputField()
        context: list[str] = InputField(desc="passages")
        answer: int = OutputField(desc="a number")

    class TheirsQA(dspy.Signature):
        """Answer with a short fact.

            Be brief."""

        question = dspy.InputField()
        context: list[str] = dspy.InputField(desc="passages")
        answer: int = dspy.OutputField(desc="a number")

    class OursMore(OursQA):
        extra: bool = InputField()

    class TheirsMore(TheirsQA):
        extra: bool = dspy.InputField()

    class OursPlain(Signature):
        x: str = InputField()
        y: dict[str, int] = OutputField()

    class TheirsPlain(dspy.Signature):
        x: str = dspy.InputField()
        y: dict[str, int] = dspy.OutputField()

    for ours, theirs in ((OursQA, TheirsQA), (OursMore, TheirsMore), (OursPlain, TheirsPlain)):
        assert_equivalent(Signature.coerce(ours), theirs)
