"""Hypothesis strategies for signatures: field names, types, descriptions, instructions.

A generated signature is a :class:`SignatureSpec`, a plain description with a readable
``repr`` (so a falsifying example prints as something a person can re-type), which
:meth:`SignatureSpec.build` turns into what a user would pass to ``create``: a signature
string, a :class:`~dspex_core.Signature` with instructions, or a class-based signature
(the only form that carries field descriptions). All three forms are exercised.
"""

from __future__ import annotations

import functools
import keyword
import string
from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_values import field_types, text, type_source

#: Names a field must not take: Python keywords are excluded separately; these collide with
#: DSPy's own keyword arguments (``Predict.__call__(config=, demos=, lm=, signature=)``),
#: pydantic's model attributes, the ChainOfThought field, or the ``completed`` marker.
RESERVED_NAMES = frozenset({
    "config", "demos", "lm", "signature", "new_signature", "reasoning", "completed", "instructions",
    "fields", "input_fields", "output_fields", "schema", "json", "copy", "dict", "construct", "validate",
    "prediction", "completions", "self", "cls", "kwargs", "args", "type", "rationale", "trajectory",
})


def _allowed(name: str) -> bool:
    return (not keyword.iskeyword(name) and name not in RESERVED_NAMES
            and not name.startswith("model_") and not name.startswith("_"))


@functools.cache
def field_names() -> st.SearchStrategy[str]:
    """A field name: a short identifier, snake_case or camelCase, never reserved."""
    rest = st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=11)
    return st.builds(str.__add__, st.sampled_from(string.ascii_lowercase), rest).filter(_allowed)


@functools.cache
def descriptions() -> st.SearchStrategy[str | None]:
    """A field description, or ``None`` (DSPy's ``${name}`` default)."""
    return st.one_of(st.none(), st.none(), text(min_size=1, max_size=60, newlines=False))


@functools.cache
def instructions() -> st.SearchStrategy[str | None]:
    """Custom instructions (possibly several lines), or ``None`` for DSPy's default sentence."""
    line = text(min_size=1, max_size=50, newlines=False).filter(lambda s: s.strip() != "")
    return st.one_of(st.none(), line, st.lists(line, min_size=2, max_size=3).map("\n".join))


class FieldSpec:
    """One generated field: name, annotation, whether the type is written out, description."""

    __slots__ = ("name", "annotation", "type_given", "desc")

    def __init__(self, name: str, annotation: Any, type_given: bool = True, desc: str | None = None):
        self.name = name
        self.annotation = annotation
        self.type_given = type_given
        self.desc = desc

    def source(self) -> str:
        return f"{self.name}: {type_source(self.annotation)}" if self.type_given else self.name

    def __repr__(self) -> str:
        desc = f", desc={self.desc!r}" if self.desc is not None else ""
        return f"{self.source()!r}{desc}"


class SignatureSpec:
    """A generated signature, buildable as a string, a ``Signature`` or a class."""

    __slots__ = ("inputs", "outputs", "instructions", "form")

    def __init__(self, inputs: list[FieldSpec], outputs: list[FieldSpec], instructions: str | None = None,
                 form: str = "string"):
        self.inputs = inputs
        self.outputs = outputs
        self.instructions = instructions
        self.form = form if (form != "string" or instructions is None) else "signature"
        if any(f.desc is not None for f in (*inputs, *outputs)):
            self.form = "class"

    @property
    def text(self) -> str:
        """The signature as a string (``"a, b: int -> c: list[str]"``)."""
        return ", ".join(f.source() for f in self.inputs) + " -> " + ", ".join(f.source() for f in self.outputs)

    def build(self) -> Any:
        """What a user would pass as ``spec``: a string, a ``Signature`` or a class-based signature."""
        from dspex_core import InputField, OutputField, Signature

        if self.form == "string":
            return self.text
        if self.form == "signature":
            return Signature(self.text, instructions=self.instructions)
        namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__,
                                     "__doc__": self.instructions}
        for fields, make in ((self.inputs, InputField), (self.outputs, OutputField)):
            for f in fields:
                namespace["__annotations__"][f.name] = f.annotation
                namespace[f.name] = make(desc=f.desc)
        return type("GeneratedSignature", (Signature,), namespace)

    def signature(self) -> Any:
        """The built spec as a :class:`~dspex_core.Signature` value."""
        from dspex_core import Signature

        return Signature.coerce(self.build())

    def __repr__(self) -> str:
        parts = [f"{self.text!r}", f"form={self.form!r}"]
        if self.instructions is not None:
            parts.append(f"instructions={self.instructions!r}")
        descs = {f.name: f.desc for f in (*self.inputs, *self.outputs) if f.desc is not None}
        if descs:
            parts.append(f"descs={descs!r}")
        return f"SignatureSpec({', '.join(parts)})"


@st.composite
def signatures(draw: Any, *, min_inputs: int = 1, max_inputs: int = 3, min_outputs: int = 1,
               max_outputs: int = 3, typed: bool = True, described: bool = True,
               with_instructions: bool = True) -> SignatureSpec:
    """A :class:`SignatureSpec` with distinct field names and a mix of types and forms."""
    names = draw(st.lists(field_names(), min_size=min_inputs + min_outputs,
                          max_size=max_inputs + max_outputs, unique=True))
    n_in = draw(st.integers(min_inputs, min(max_inputs, len(names) - min_outputs)))
    outs = names[n_in:n_in + max_outputs]
    form = draw(st.sampled_from(("string", "class")))

    def make(name: str) -> FieldSpec:
        annotation = draw(field_types()) if typed else str
        type_given = annotation is not str or form == "class" or draw(st.booleans())
        desc = draw(descriptions()) if (described and form == "class") else None
        return FieldSpec(name, annotation, type_given, desc)

    inputs = [make(n) for n in names[:n_in]]
    outputs = [make(n) for n in outs]
    instr = draw(instructions()) if with_instructions else None
    return SignatureSpec(inputs, outputs, instr, form)
