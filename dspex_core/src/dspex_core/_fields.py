"""The fields of a signature: ``Field`` (one parsed input or output) and the
``InputField()`` / ``OutputField()`` markers of class-based signatures.

Kept apart from :mod:`dspex_core._signature` so that the string grammar
(:mod:`dspex_core._signature_grammar`) and the ``Signature`` class can both build fields
without importing each other.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._types import type_name

#: Field names that would shadow a signature's own attributes (here and in DSPy).
RESERVED_NAMES = frozenset({"instructions", "signature", "fields", "input_fields", "output_fields"})


class Field:
    """One named input or output of a signature.

    ``desc`` and ``prefix`` are ``None`` when the author gave none; backends derive DSPy's
    defaults (``${name}`` and ``Name:``) from that, so nothing is invented here.
    ``type_given`` records whether the type was written out (DSPy renders the two cases
    differently).
    """

    __slots__ = ("name", "kind", "annotation", "desc", "prefix", "type_given", "extra")

    def __init__(
        self,
        name: str,
        kind: str,
        annotation: Any = str,
        desc: str | None = None,
        prefix: str | None = None,
        type_given: bool = True,
        extra: Mapping[str, Any] | None = None,
    ):
        self.name = name
        self.kind = kind
        self.annotation = annotation
        self.desc = desc
        self.prefix = prefix
        self.type_given = type_given
        self.extra = extra or {}

    @property
    def type_name(self) -> str:
        """The annotation as text, for tables and error messages."""
        return type_name(self.annotation)

    def _key(self) -> tuple:
        # repr(annotation) too: typing calls Literal['a', 'b'] and Literal['b', 'a'] (or
        # Union[int, str] and Union[str, int]) equal, yet prompts list them as written, so
        # signatures differing only there must not share a cached prompt.
        return (self.name, self.kind, self.annotation, self.desc, self.prefix, self.type_given,
                tuple(sorted(self.extra.items())), repr(self.annotation))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key()[:6])

    def __repr__(self) -> str:
        desc = f", desc={self.desc!r}" if self.desc is not None else ""
        return f"Field({self.name!r}, {self.kind}, {self.type_name}{desc})"


class FieldSpec:
    """What ``InputField(...)`` / ``OutputField(...)`` return inside a class-based signature."""

    __slots__ = ("kind", "desc", "prefix", "extra")

    def __init__(self, kind: str, desc: str | None, prefix: str | None, extra: dict[str, Any]):
        self.kind = kind
        self.desc = desc
        self.prefix = prefix
        self.extra = extra

    def __repr__(self) -> str:
        return f"{'InputField' if self.kind == 'input' else 'OutputField'}(desc={self.desc!r})"


def InputField(*, desc: str | None = None, prefix: str | None = None, **extra: Any) -> Any:  # noqa: N802
    """Declare an input field of a class-based signature (DSPy's ``dspy.InputField``)."""
    return FieldSpec("input", extra.pop("description", desc), prefix, extra)


def OutputField(*, desc: str | None = None, prefix: str | None = None, **extra: Any) -> Any:  # noqa: N802
    """Declare an output field of a class-based signature (DSPy's ``dspy.OutputField``)."""
    return FieldSpec("output", extra.pop("description", desc), prefix, extra)


def infer_prefix(name: str) -> str:
    """DSPy's ``infer_prefix``: ``snake_case`` / ``camelCase`` to ``Title Case`` (used for prompts)."""
    import re

    s1 = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    s2 = re.sub("([a-z0-9])([A-Z])", r"\1_\2", s1)
    s3 = re.sub(r"([a-zA-Z])(\d)", r"\1_\2", s2)
    s3 = re.sub(r"(\d)([a-zA-Z])", r"\1_\2", s3)
    words = s3.split("_")
    return " ".join(w.upper() if w.isupper() else w.capitalize() for w in words)
