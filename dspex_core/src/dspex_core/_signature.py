"""Signatures: the typed inputs and outputs of a module, in DSPy's string or class form.

``Signature("question, context: list[str] -> answer")`` follows DSPy's grammar: exactly one
``->``, comma-separated Python identifiers on each side, an optional ``: type`` after each
name (``str`` when absent), no name on both sides. A mistake raises
:class:`~dspex_core.errors.SignatureError` that points at the character and names the rule.

A signature is an immutable value. Parsing is cached per ``(string, instructions)``, so the
common case of re-creating a module with the same signature is a dictionary look-up, and
backends may key their own precomputed prompt parts on the signature object.

Class-based signatures mirror DSPy::

    class QA(Signature):
        \"\"\"Answer with a short fact.\"\"\"
        question: str = InputField(desc="a trivia question")
        answer: str = OutputField()
"""

from __future__ import annotations

import functools
import keyword
from types import MappingProxyType
from typing import Any, Collection, Mapping

from dspex_core._dspy_signatures import from_dspy_signature, is_dspy_signature
from dspex_core._fields import RESERVED_NAMES, Field, FieldSpec, InputField, OutputField, infer_prefix
from dspex_core._signature_grammar import _parse_checked
from dspex_core._signature_plain import _parse_plain
from dspex_core._text import cleandoc
from dspex_core._types import TypeParseError, check_annotation, parse_type_with
from dspex_core.errors import SignatureError

__all__ = ["Signature", "Field", "FieldSpec", "InputField", "OutputField", "RESERVED_NAMES", "infer_prefix",
           "default_instructions"]

_iskeyword = keyword.iskeyword


def default_instructions(inputs: Collection[str], outputs: Collection[str]) -> str:
    """DSPy's default: ``Given the fields `a`, `b`, produce the fields `c`.``"""
    ins = "`" + "`, `".join(inputs) + "`" if inputs else ""
    outs = "`" + "`, `".join(outputs) + "`" if outputs else ""
    return f"Given the fields {ins}, produce the fields {outs}."


class Signature:
    """An immutable signature: ordered input and output fields plus instructions.

    ``Signature(spec, instructions=None, custom_types=None)`` parses a string (cached);
    ``Signature.coerce(x)`` accepts a string, a signature, a class-based signature, or a dspy
    signature class (read by its attributes, without importing dspy).

    ``Signature`` is also the facade of the ``signature`` module type:
    ``Signature.create(spec)`` makes a typed step for pipelines (its inputs are checked and
    coerced to their declared types before the LM is asked for the outputs), routed like every
    other module type. Those methods come from :mod:`dspex_core.modules`; a signature itself is
    plain data.
    """

    __slots__ = ("input_fields", "output_fields", "_instructions", "_custom_instructions", "_hash", "_eq_key",
                 "__weakref__")

    input_fields: Mapping[str, Field]
    output_fields: Mapping[str, Field]

    def __new__(cls, spec: Any = None, instructions: str | None = None, custom_types: dict[str, Any] | None = None):
        if cls is not Signature:
            raise TypeError(f"{cls.__name__} is a class-based signature; use it as it is, do not instantiate it")
        if isinstance(spec, str):
            if custom_types:
                return _parse(spec, instructions, custom_types)
            return _parse_cached(spec, instructions)
        if spec is None:
            raise SignatureError("a signature needs a spec such as 'question -> answer'")
        sig = Signature.coerce(spec)
        return sig if instructions is None else sig.with_instructions(instructions)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def _make(cls, inputs: dict[str, Field], outputs: dict[str, Field], instructions: str | None) -> "Signature":
        """A signature holding ``inputs`` and ``outputs`` themselves (not copies): what every
        constructor ends in. ``instructions=None`` (or ``""``) is DSPy's default sentence."""
        return _signature_of(inputs, outputs, instructions)

    @property
    def instructions(self) -> str:
        """The instructions: the ones written, or DSPy's default sentence made from the field names
        (made when first read, not for every signature parsed)."""
        text = self._instructions
        if text is None:
            text = default_instructions(self.input_fields, self.output_fields)
            object.__setattr__(self, "_instructions", text)
        return text

    @classmethod
    def from_fields(cls, inputs: Mapping[str, Field], outputs: Mapping[str, Field],
                    instructions: str | None = None) -> "Signature":
        """A signature made of ready :class:`Field` objects, in order. ``instructions=None`` (or
        ``""``) means DSPy's default sentence, computed from the field names."""
        return Signature._make(dict(inputs), dict(outputs), instructions)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("signatures are immutable; use with_instructions(), append(), prepend() or delete()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("signatures are immutable")

    def __reduce__(self) -> tuple:
        """Pickle as the fields and instructions (the cached hash is not state)."""
        return (Signature._make, (dict(self.input_fields), dict(self.output_fields),
                                  self.instructions if self._custom_instructions else None))

    def __copy__(self) -> "Signature":
        return self  # immutable: a copy is the same value

    def __deepcopy__(self, memo: dict) -> "Signature":
        return self

    @staticmethod
    def coerce(value: Any, instructions: str | None = None) -> "Signature":
        """Turn a string, a :class:`Signature`, a class-based signature or a dspy signature class
        (or instance, read by its attributes: :mod:`dspex_core._dspy_signatures`) into a signature."""
        if isinstance(value, Signature):
            sig = value
        elif isinstance(value, str):
            sig = _parse_cached(value, None)
        elif isinstance(value, type) and issubclass(value, Signature) and value is not Signature:
            sig = value.__signature__
        elif value is not Signature and is_dspy_signature(value):
            inputs, outputs, text = from_dspy_signature(value)
            # DSPy's default sentence is what dspex derives from the fields too: not written instructions
            sig = Signature._make(inputs, outputs, None if text == default_instructions(inputs, outputs) else text)
        else:
            raise SignatureError(
                f"expected a signature string like 'question -> answer', a Signature, a class-based "
                f"signature or a dspy.Signature class, got {type(value).__name__}"
            )
        return sig if instructions is None else sig.with_instructions(instructions)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inputs: dict[str, Field] = {}
        outputs: dict[str, Field] = {}
        # Fields of a base class-based signature come first, as in DSPy (a direct subclass of
        # Signature alone has none: neither Signature nor object holds a __signature__).
        parents = () if cls.__bases__ == _SIGNATURE_ONLY else \
            [sig for sig in (base.__dict__.get("__signature__") for base in cls.__mro__[1:]) if sig is not None]
        for parent in reversed(parents):
            inputs.update(parent.input_fields)
            outputs.update(parent.output_fields)
        namespace = cls.__dict__  # one mapping proxy, read throughout
        annotations = namespace.get("__annotations__", _NO_ANNOTATIONS)
        # Class-body order; a field without an annotation is a ``str`` whose type was not given, as in DSPy.
        fields = {name: spec for name, spec in namespace.items() if isinstance(spec, FieldSpec)}
        undeclared = annotations.keys() - fields.keys()
        for name in annotations if undeclared else ():  # the first in the class body is named
            if name in undeclared and not name.startswith("_"):
                raise SignatureError(
                    f"{cls.__name__}.{name}: every annotated attribute of a class-based signature must be "
                    f"declared with InputField() or OutputField()",
                    rule="field-declaration",
                )
        module_names: Any = _UNREAD
        for name, spec in fields.items():
            annotation = annotations.get(name, _NOT_GIVEN)
            type_given = annotation is not _NOT_GIVEN
            try:
                if not type_given:
                    annotation = str
                elif isinstance(annotation, str):
                    # ``from __future__ import annotations`` leaves every annotation a string: its
                    # names are the defining module's (a type alias, a pydantic model), as for
                    # typing.get_type_hints and DSPy
                    if module_names is _UNREAD:
                        module_names = _module_names(cls)
                    annotation = parse_type_with(annotation, module_names)
                else:
                    check_annotation(annotation)  # what a string type is checked for (list[int, str], ...)
            except TypeParseError as exc:
                raise SignatureError(f"{cls.__name__}.{name}: {exc}", rule="type") from None
            if name in RESERVED_NAMES:
                raise SignatureError(f"{cls.__name__}.{name}: {name!r} is the name of a Signature attribute and "
                                     f"cannot be a field name", rule="reserved")
            (inputs if spec.kind == "input" else outputs)[name] = \
                Field(name, spec.kind, annotation, spec.desc, spec.prefix, type_given, spec.extra)
            delattr(cls, name)
        if not inputs.keys().isdisjoint(outputs):
            raise SignatureError(f"{cls.__name__}: {sorted(inputs.keys() & outputs.keys())} cannot be both an "
                                 f"input and an output", rule="distinct-names")
        doc = namespace.get("__doc__")
        if doc is None:  # DSPy: a class without a docstring keeps its base signature's instructions
            for parent in parents:
                if parent.has_custom_instructions:
                    doc = parent.instructions
                    break
        sig = _signature_of(inputs, outputs, cleandoc(doc) if doc else None)
        cls.__signature__ = sig
        cls.input_fields = sig.input_fields
        cls.output_fields = sig.output_fields
        cls.instructions = sig.instructions

    # -- views --------------------------------------------------------------------------
    @property
    def fields(self) -> Mapping[str, Field]:
        """Inputs then outputs, in order."""
        return {**self.input_fields, **self.output_fields}

    @property
    def signature(self) -> str:
        """The signature back as a string (DSPy's ``Signature.signature``)."""
        def side(fields: Mapping[str, Field]) -> str:
            return ", ".join(f"{n}: {f.type_name}" if f.type_given else n for n, f in fields.items())

        return f"{side(self.input_fields)} -> {side(self.output_fields)}"

    @property
    def has_custom_instructions(self) -> bool:
        """Whether the instructions were written by someone, not DSPy's default sentence."""
        return self._custom_instructions

    # -- derivation ---------------------------------------------------------------------
    def with_instructions(self, instructions: str) -> "Signature":
        """A copy with other instructions (DSPy's ``with_instructions``)."""
        return Signature._make(dict(self.input_fields), dict(self.output_fields), instructions)

    def prepend(self, name: str, field: Any, type_: Any = str) -> "Signature":
        """A copy with a field inserted first among its kind (DSPy's ``prepend``)."""
        return self._insert(name, field, type_, first=True)

    def append(self, name: str, field: Any, type_: Any = str) -> "Signature":
        """A copy with a field added last among its kind (DSPy's ``append``)."""
        return self._insert(name, field, type_, first=False)

    def delete(self, name: str) -> "Signature":
        """A copy without the field ``name``."""
        ins = {k: v for k, v in self.input_fields.items() if k != name}
        outs = {k: v for k, v in self.output_fields.items() if k != name}
        return Signature._make(ins, outs, self.instructions if self._custom_instructions else None)

    def _insert(self, name: str, field: Any, type_: Any, first: bool) -> "Signature":
        if not isinstance(field, FieldSpec):
            raise SignatureError("prepend/append take InputField(...) or OutputField(...)")
        if not isinstance(name, str) or not name.isidentifier() or _iskeyword(name) or name.startswith("_") \
                or name in RESERVED_NAMES:
            raise SignatureError(f"{name!r} cannot be a field name: use an identifier that is not a keyword, "
                                 f"does not start with '_' and is not one of {', '.join(sorted(RESERVED_NAMES))}",
                                 rule="identifier")
        if name in self.input_fields or name in self.output_fields:
            raise SignatureError(f"the field {name!r} already exists", rule="distinct-names")
        new = Field(name, field.kind, type_, field.desc, field.prefix, True, field.extra)
        target = dict(self.input_fields if field.kind == "input" else self.output_fields)
        target = {name: new, **target} if first else {**target, name: new}
        ins = target if field.kind == "input" else dict(self.input_fields)
        outs = target if field.kind == "output" else dict(self.output_fields)
        return Signature._make(ins, outs, self.instructions if self._custom_instructions else None)

    # -- identity -----------------------------------------------------------------------
    def _key(self) -> tuple:
        """What equality compares (made once: a signature does not change; prompt caches compare
        signatures on every look-up)."""
        key = self._eq_key
        if key is None:
            key = (tuple(f._key() for f in self.input_fields.values()),
                   tuple(f._key() for f in self.output_fields.values()), self.instructions)
            object.__setattr__(self, "_eq_key", key)
        return key

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, Signature) and self._key() == other._key()

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash((tuple(self.input_fields), tuple(self.output_fields),
                                                    self.instructions)))
        return self._hash

    def __repr__(self) -> str:
        return f"Signature({self.signature!r}, instructions={self.instructions!r})"


_new = object.__new__
# The slots' own setters (Signature.__setattr__ refuses): a third of the time object.__setattr__ takes.
_set_inputs, _set_outputs, _set_custom, _set_instructions, _set_hash, _set_eq_key = (
    Signature.__dict__[slot].__set__
    for slot in ("input_fields", "output_fields", "_custom_instructions", "_instructions", "_hash", "_eq_key"))


def _signature_of(inputs: dict[str, Field], outputs: dict[str, Field], instructions: str | None) -> Signature:
    self = _new(Signature)
    custom = instructions is not None and instructions != ""
    _set_inputs(self, MappingProxyType(inputs))
    _set_outputs(self, MappingProxyType(outputs))
    _set_custom(self, custom)
    _set_instructions(self, instructions if custom else None)
    _set_hash(self, None)
    _set_eq_key(self, None)
    return self


# The string grammar lives in _signature_grammar (and its short reading in _signature_plain); these
# keep the parsed signatures cached.

@functools.lru_cache(maxsize=8192)
def _parse_cached(spec: str, instructions: str | None) -> Signature:
    return _parse(spec, instructions, None)


_UNREAD = object()
_NOT_GIVEN = object()
_NO_ANNOTATIONS: Mapping[str, Any] = MappingProxyType({})
_SIGNATURE_ONLY = (Signature,)


def _module_names(cls: type) -> Mapping[str, Any] | None:
    """The globals of the module that defines ``cls`` (``None`` when it has none), read, not copied."""
    import sys

    module = sys.modules.get(cls.__module__)
    return vars(module) if module is not None else None


def _parse(spec: str, instructions: str | None, custom_types: dict[str, Any] | None) -> Signature:
    inputs, outputs = _parse_plain(spec, custom_types) or _parse_checked(spec, custom_types)  # (see _signature_plain)
    return _signature_of(inputs, outputs, instructions)
