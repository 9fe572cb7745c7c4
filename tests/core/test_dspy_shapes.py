"""dspy's own objects read by duck typing, without dspy: signature classes and examples.

The classes here mirror the attributes dspy 3.4 gives its objects (and nothing else), since the
core must read them without importing dspy or pydantic:

* a signature class has, through its metaclass, ``input_fields`` / ``output_fields`` (ordered dicts
  of name -> ``FieldInfo``) and ``instructions`` (the docstring, cleaned); an instance of it has
  none of them itself;
* a ``FieldInfo`` has ``annotation``, ``json_schema_extra`` (``__dspy_field_type``, ``desc`` and
  ``prefix`` filled in with dspy's defaults, ``IS_TYPE_UNDEFINED`` for a field without a type),
  ``metadata`` (constraint objects such as annotated_types' ``Ge(ge=1)``), ``is_required()``,
  ``default`` and ``default_factory``;
* an ``Example`` keeps its values in ``_store`` and its marked inputs in ``_input_keys`` (``None``
  until ``with_inputs``), has ``inputs()``, and answers any other attribute from ``_store``.

tests/parity reads real dspy classes and examples the same way and compares whole requests.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import Signature, SignatureError
from dspex_core._text import cleandoc
from dspex_core.backend import check_example_set, demo_dicts, example_of, infer_prefix
from dspex_core.errors import InputError
from dspex_core.testing import strategies as kit

_UNDEFINED = object()  # pydantic's PydanticUndefined, for a field without a default


class FieldInfo:
    """pydantic's FieldInfo as dspy's InputField()/OutputField() leave it."""

    def __init__(self, kind: str, name: str, annotation: Any = str, *, desc: str | None = None,
                 prefix: str | None = None, untyped: bool = False, metadata: tuple = (),
                 default: Any = _UNDEFINED, default_factory: Any = None, extra: dict | None = None):
        self.annotation = annotation
        self.json_schema_extra = {"__dspy_field_type": kind, **(extra or {})}
        if untyped:
            self.json_schema_extra["IS_TYPE_UNDEFINED"] = True
        self.json_schema_extra["prefix"] = prefix if prefix is not None else infer_prefix(name) + ":"
        self.json_schema_extra["desc"] = desc if desc is not None else f"${{{name}}}"
        self.metadata = list(metadata)
        self.default = None if default is _UNDEFINED else default
        self.default_factory = default_factory
        self._required = default is _UNDEFINED and default_factory is None

    def is_required(self) -> bool:
        return self._required


class Ge:
    """annotated_types.Ge, as pydantic keeps ``ge=`` in ``FieldInfo.metadata``."""

    def __init__(self, ge: Any):
        self.ge = ge


class MaxLen:
    def __init__(self, max_length: int):
        self.max_length = max_length


class SignatureMeta(type):
    """dspy's SignatureMeta: the fields and instructions are properties of the class."""

    @property
    def input_fields(cls) -> dict[str, FieldInfo]:
        return {k: v for k, v in cls.model_fields.items() if v.json_schema_extra.get("__dspy_field_type") == "input"}

    @property
    def output_fields(cls) -> dict[str, FieldInfo]:
        return {k: v for k, v in cls.model_fields.items() if v.json_schema_extra.get("__dspy_field_type") == "output"}

    @property
    def instructions(cls) -> str:
        from inspect import cleandoc

        return cleandoc(cls.__doc__ or "")


def dspy_like(name: str, fields: list[FieldInfo], names: list[str], doc: str | None = None) -> type:
    """A class shaped like ``class name(dspy.Signature)`` with these fields, in order."""
    return SignatureMeta(name, (), {"__doc__": doc, "model_fields": dict(zip(names, fields))})


def qa(doc: str | None = "Answer with a short fact.") -> type:
    return dspy_like("FactQA", [
        FieldInfo("input", "question", desc="a trivia question"),
        FieldInfo("input", "context", list[str]),
        FieldInfo("output", "answer", desc="1 to 5 words", prefix="Final Answer:"),
        FieldInfo("output", "label", Literal["a", "b"]),
        FieldInfo("output", "note", untyped=True),
    ], ["question", "context", "answer", "label", "note"], doc)


# -- signatures --------------------------------------------------------------------------------------

def test_a_dspy_signature_class_becomes_the_same_dspex_signature():
    sig = Signature.coerce(qa("\n    Answer with\n      a short fact.\n    "))
    assert list(sig.input_fields) == ["question", "context"]
    assert list(sig.output_fields) == ["answer", "label", "note"]
    q, c = sig.input_fields["question"], sig.input_fields["context"]
    assert (q.kind, q.annotation, q.desc, q.prefix, q.type_given) == ("input", str, "a trivia question", None, True)
    assert (c.annotation, c.desc, c.prefix) == (list[str], None, None)  # dspy's defaults read as "not given"
    a, label, note = sig.output_fields.values()
    assert (a.desc, a.prefix, a.kind) == ("1 to 5 words", "Final Answer:", "output")
    assert label.annotation == Literal["a", "b"] and label.type_given
    assert note.annotation is str and not note.type_given  # written without a type
    assert sig.instructions == "Answer with\n  a short fact." and sig.has_custom_instructions
    assert all(f.extra == {} for f in sig.fields.values())


def test_the_same_fields_as_a_dspex_class_based_signature():
    class Mine(Signature):
        """Answer with a short fact."""
        question: str = dspex.InputField(desc="a trivia question")
        context: list[str] = dspex.InputField()
        answer: str = dspex.OutputField(desc="1 to 5 words", prefix="Final Answer:")
        label: Literal["a", "b"] = dspex.OutputField()
        note = dspex.OutputField()

    assert Signature.coerce(qa()) == Mine.__signature__


def test_an_instance_is_read_through_its_class():
    cls = qa()
    assert Signature.coerce(cls()) == Signature.coerce(cls)
    assert Signature(cls()) == Signature.coerce(cls)


def test_dspys_default_sentence_is_not_written_instructions():
    cls = dspy_like("S", [FieldInfo("input", "q"), FieldInfo("output", "a")], ["q", "a"],
                    "Given the fields `q`, produce the fields `a`.")
    sig = Signature.coerce(cls)
    assert not sig.has_custom_instructions and sig == Signature("q: str -> a: str")
    assert Signature.coerce(cls, instructions="Be brief.").instructions == "Be brief."


def test_a_blank_docstring_is_dspys_default_sentence_here():
    """The documented difference (docs/module-types.md): dspy sends a docstring that cleans to
    nothing as empty instructions; a dspex signature holds none, so it reads as DSPy's default
    sentence."""
    cls = dspy_like("B", [FieldInfo("input", "q"), FieldInfo("output", "a")], ["q", "a"], "   ")
    sig = Signature.coerce(cls)
    assert not sig.has_custom_instructions and sig.instructions == "Given the fields `q`, produce the fields `a`."


def test_constraints_and_defaults_are_kept_as_field_options():
    cls = dspy_like("C", [FieldInfo("input", "x", int, metadata=(Ge(1), MaxLen(3))),
                          FieldInfo("output", "y", default="z"), FieldInfo("output", "w", default_factory=list),
                          FieldInfo("output", "v", extra={"constraints": "greater than: 1", "format": "f"})],
                    ["x", "y", "w", "v"])
    fields = Signature.coerce(cls).fields
    assert fields["x"].extra == {"ge": 1, "max_length": 3}
    assert fields["y"].extra == {"default": "z"}
    assert fields["w"].extra == {"default_factory": list}
    assert fields["v"].extra == {"format": "f"}  # dspy's constraint text is derived, not an option


def test_types_are_checked_as_a_class_based_signatures_are():
    cls = dspy_like("T", [FieldInfo("input", "x", list[int, str]), FieldInfo("output", "y")], ["x", "y"])
    with pytest.raises(SignatureError, match=r"T\.x: invalid type arguments"):
        Signature.coerce(cls)


@pytest.mark.parametrize("field, message", [
    (type("Info", (), {"annotation": str, "json_schema_extra": {"desc": "d"}})(),
     r"Half\.y: the field has no '__dspy_field_type' in its json_schema_extra"),
    (type("Info", (), {"annotation": str, "json_schema_extra": None})(), r"Half\.y: the field has no '__dspy_field"),
    (type("Info", (), {"json_schema_extra": {"__dspy_field_type": "output"}})(), r"Half\.y: the field has no 'annotation'"),
    (type("Info", (), {"annotation": str, "json_schema_extra": {"__dspy_field_type": "input"}})(),
     r"Half\.y: listed among the output fields, but its __dspy_field_type is 'input'"),
    (type("Info", (), {"annotation": str, "json_schema_extra": {"__dspy_field_type": "output", "desc": 3}})(),
     r"Half\.y: its desc must be a string"),
])
def test_a_half_dspy_signature_names_the_field_and_what_it_lacks(field, message):
    class HalfMeta(type):
        input_fields = property(lambda cls: {"x": FieldInfo("input", "x")})
        output_fields = property(lambda cls: {"y": field})
        instructions = property(lambda cls: "Do it.")

    with pytest.raises(SignatureError, match=message):
        Signature.coerce(HalfMeta("Half", (), {}))


@pytest.mark.parametrize("name", ["instructions", "_private", "not-an-identifier"])
def test_field_names_follow_dspex_rules(name):
    cls = dspy_like("N", [FieldInfo("input", name), FieldInfo("output", "a")], [name, "a"])
    with pytest.raises(SignatureError, match="cannot be a field name"):
        Signature.coerce(cls)


def test_other_objects_are_still_refused_with_the_forms_named():
    for value in (3, object(), type("P", (), {"model_fields": {}}), {"q": "a"}):
        with pytest.raises(SignatureError, match="dspy.Signature class"):
            Signature.coerce(value)


def test_a_pipeline_step_takes_the_class_as_its_module():
    from dspex_core._pipeline_build import module_type_of

    cls = qa()
    assert module_type_of(cls, "step 0") == ("signature", cls)


@settings(max_examples=30, deadline=None)
@given(kit.signatures())
def test_any_signature_read_back_from_its_dspy_shape_is_itself(spec):
    """A kit signature written as dspy would hold it reads back equal (outputs that dspy made ``str``
    from a string keep their "typed" mark: the shape here is a class)."""
    sig = spec.signature()
    fields, names = [], []
    for name, field in sig.fields.items():
        fields.append(FieldInfo(field.kind, name, field.annotation, desc=field.desc, prefix=field.prefix,
                                untyped=not field.type_given))
        names.append(name)
    doc = sig.instructions if sig.has_custom_instructions else None
    expected = sig
    if doc is not None and cleandoc(doc) != doc:
        # a dspy class holds its docstring cleaned (inspect.cleandoc: '0\n 0' reads '0\n0'), as dspy does
        assume(cleandoc(doc).strip())
        expected = sig.with_instructions(cleandoc(doc))
    cls = dspy_like("Drawn", fields, names, doc)
    assert Signature.coerce(cls) == expected


# -- examples ----------------------------------------------------------------------------------------

class DspyExample:
    """dspy.Example's attributes: ``_store``, ``_input_keys``, ``inputs()``, other names from the store."""

    def __init__(self, **kwargs: Any):
        self._store = dict(kwargs)
        self._demos = []
        self._input_keys = None

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__") and key.endswith("__"):
            raise AttributeError
        if key in self._store:
            return self._store[key]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")

    def with_inputs(self, *keys: str) -> "DspyExample":
        copied = DspyExample(**self._store)
        copied._input_keys = set(keys)
        return copied

    def inputs(self) -> "DspyExample":
        raise AssertionError("the core reads _store and _input_keys, it does not call inputs()")

    def toDict(self) -> dict:  # noqa: N802 - dspy's serialization: the core must not use it for demos
        return {k: ("serialized" if isinstance(v, dict) else v) for k, v in self._store.items()}


class DspyPrediction(DspyExample):
    """dspy.Prediction deletes ``_input_keys``: reading it falls through to ``__getattr__``."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        del self._input_keys


def test_a_dspy_example_becomes_a_dspex_example_with_its_inputs():
    nested = {"k": [1]}
    ex = example_of(DspyExample(question="q", answer="a", extra=nested).with_inputs("question"))
    assert isinstance(ex, dspex.Example) and ex.input_keys == {"question"}
    assert ex.toDict() == {"question": "q", "answer": "a", "extra": nested} and ex["extra"] is nested
    assert ex.inputs().toDict() == {"question": "q"}
    assert dspex.Example(DspyExample(a=1)).input_keys is None
    assert example_of(DspyPrediction(answer="x")).toDict() == {"answer": "x"}
    assert example_of({"a": 1}) is None and example_of("text") is None


def test_demos_keep_a_dspy_examples_values_unserialized():
    value = {"nested": True}
    demos = demo_dicts([DspyExample(question="q", answer=value), DspyPrediction(answer="b"), {"c": 1}], "predict")
    assert demos == [{"question": "q", "answer": value}, {"answer": "b"}, {"c": 1}]
    assert demos[0]["answer"] is value


def test_example_sets_read_dspy_examples_and_check_their_inputs():
    items = [DspyExample(question="q", answer="a").with_inputs("question")]
    checked = check_example_set("trainset", items, ["question"])
    assert isinstance(checked[0], dspex.Example) and checked[0].input_keys == {"question"}
    with pytest.raises(InputError, match=r"trainset\[0\] has no inputs marked"):
        check_example_set("trainset", [DspyExample(question="q")], ["question"])
    with pytest.raises(InputError, match=r"trainset\[0\] marks 'answer' as input"):
        check_example_set("trainset", [DspyExample(question="q", answer="a").with_inputs("question", "answer")],
                          ["question"])


def test_a_module_call_takes_a_dspy_examples_inputs():
    from dspex_core._module_ref import check_inputs

    assert check_inputs(DspyExample(question="q", answer="a").with_inputs("question")) == {"question": "q"}
    assert check_inputs(DspyExample(question="q")) == {"question": "q"}


def test_parallel_reads_dspy_examples_as_dspex_ones():
    from dspex_core.backend import parallel_rules

    marked = DspyExample(question="q", answer="a").with_inputs("question")
    assert parallel_rules.call_inputs([marked], True) == [{"question": "q"}]
    assert parallel_rules.call_inputs([marked], False) == [{"question": "q", "answer": "a"}]
    with pytest.raises(InputError, match=r"examples\[0\] is an Example without inputs marked"):
        parallel_rules.call_inputs([DspyExample(question="q")], True)

