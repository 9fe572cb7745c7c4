"""DSPy's signature string grammar: ``"question, context: list[str] -> answer"``.

Exactly one ``->``; comma-separated Python identifiers on each side (a trailing comma is
allowed, as in Python parameter lists); an optional ``: type`` after each name (``str`` when
absent); no name twice, none on both sides, no keyword, no leading underscore, none of the
signature's own attribute names. Every mistake raises
:class:`~dspex_core.errors.SignatureError` pointing at the character and naming the rule.
tests/dspy/test_signature_vs_dspy.py checks that this accepts exactly what dspy accepts.

This is the reference reading, a step at a time, and where every error is raised; most
signatures are read by :mod:`dspex_core._signature_plain` first, which returns the same fields or
leaves the signature to this one.
"""

from __future__ import annotations

import keyword
import types
import typing
from typing import Any

from dspex_core._fields import RESERVED_NAMES, Field
from dspex_core._types import TypeParseError, parse_type, parse_type_with
from dspex_core.errors import SignatureError

_isidentifier = str.isidentifier
_iskeyword = keyword.iskeyword


def _parse_checked(spec: str, custom_types: dict[str, Any] | None) -> tuple[dict[str, Field], dict[str, Field]]:
    """The grammar a step at a time: the reference reading, and where errors are raised."""
    arrow = spec.find("->")
    if arrow < 0:
        raise SignatureError("a signature needs exactly one '->' between inputs and outputs, found none",
                             spec=spec, position=len(spec), rule="one-arrow")
    second = spec.find("->", arrow + 2)
    if second >= 0:
        raise SignatureError("a signature needs exactly one '->', found another one",
                             spec=spec, position=second, rule="one-arrow")
    inputs = _parse_side(spec, 0, arrow, "input", custom_types)
    outputs = _parse_side(spec, arrow + 2, len(spec), "output", custom_types)
    for name in outputs:
        if name in inputs:
            raise SignatureError(f"the field {name!r} is both an input and an output; names must be distinct",
                                 spec=spec, position=_find_name(spec, name, arrow + 2), rule="distinct-names")
    return inputs, outputs


def _parse_side(spec: str, start: int, end: int, kind: str, custom_types: dict[str, Any] | None) -> dict[str, Field]:
    text = spec[start:end]
    fields: dict[str, Field] = {}
    if not text.strip():
        return fields
    if "," not in text:
        parts = [(0, text)]
    elif "[" in text or "(" in text or "{" in text:
        parts = _split_top_level(text)
    else:
        parts = []
        offset = 0
        for piece in text.split(","):
            parts.append((offset, piece))
            offset += len(piece) + 1
    last = len(parts) - 1
    for index, (offset, part) in enumerate(parts):
        colon = part.find(":")
        raw_name = part if colon < 0 else part[:colon]
        name = raw_name.strip()
        if not name:
            if index == last and index > 0 and colon < 0 and not part.strip():
                break  # a trailing comma, as Python's own parameter lists allow
            raise SignatureError(f"an {kind} field name is missing (empty item between commas)",
                                 spec=spec, position=_name_at(start, offset, raw_name), rule="identifier")
        if not _isidentifier(name):
            raise SignatureError(f"{name!r} is not a valid Python identifier; field names must be identifiers",
                                 spec=spec, position=_name_at(start, offset, raw_name), rule="identifier")
        if _iskeyword(name):
            raise SignatureError(f"{name!r} is a Python keyword and cannot be a field name",
                                 spec=spec, position=_name_at(start, offset, raw_name), rule="keyword")
        if name[0] == "_":
            raise SignatureError(f"{name!r} starts with an underscore; DSPy (pydantic) reserves such names, "
                                 f"so field names must start with a letter", spec=spec,
                                 position=_name_at(start, offset, raw_name), rule="identifier")
        if not name.isascii():
            name = _nfkc(name)  # Python's own rule for identifiers, which DSPy's parser inherits
        if name in RESERVED_NAMES:
            raise SignatureError(f"{name!r} is the name of a Signature attribute and cannot be a field name "
                                 f"(DSPy fails on it too); reserved: {', '.join(sorted(RESERVED_NAMES))}",
                                 spec=spec, position=_name_at(start, offset, raw_name), rule="reserved")
        if name in fields:
            raise SignatureError(f"the {kind} field {name!r} appears twice", spec=spec,
                                 position=_name_at(start, offset, raw_name), rule="distinct-names")
        if colon < 0:
            fields[name] = Field(name, kind, str, None, None, False)
        else:
            annotation_text = part[colon + 1:]
            try:
                annotation = parse_type(annotation_text) if custom_types is None else \
                    parse_type_with(annotation_text, custom_types)
            except TypeParseError as exc:
                raise SignatureError(f"field {name!r}: {exc}", spec=spec,
                                     position=start + offset + colon + 1 + exc.offset, rule="type") from None
            if annotation is None:
                annotation = type(None)
            elif type(annotation) is not type and not isinstance(annotation, _TYPE_KINDS):  # not a type
                at = start + offset + colon + 1 + (len(annotation_text) - len(annotation_text.lstrip()))
                raise SignatureError(f"field {name!r}: {annotation_text.strip()!r} is a value, not a type "
                                     f"(write e.g. Literal[{annotation_text.strip()}] for a fixed value)",
                                     spec=spec, position=at, rule="type")
            fields[name] = Field(name, kind, annotation, None, None, True)
    return fields


def _name_at(start: int, offset: int, raw_name: str) -> int:
    """Where a field name begins in the spec (for error messages only)."""
    return start + offset + (len(raw_name) - len(raw_name.lstrip()))


def _nfkc(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", name)


#: What an annotation can be (``int``, ``list[str]``, ``Literal['a']``, ``int | None``; ``typing`` and
#: ``types`` are loaded by ``_types`` anyway).
_TYPE_KINDS = (type, types.GenericAlias, types.UnionType, typing._GenericAlias, typing._SpecialForm)  # noqa: SLF001


def _split_top_level(text: str) -> list[tuple[int, str]]:
    """Split on commas that are not inside brackets; keep each piece's offset."""
    if "'" not in text and '"' not in text:
        return _split_unquoted(text)
    if '"' not in text and not text.count("'") % 2:
        # Single quotes only, balanced (Literal['x', 'y']): when no quoted text holds a comma or a
        # bracket, the quotes change nothing and the counting split applies.
        inside = "".join(text.split("'")[1::2])
        if not ("," in inside or "[" in inside or "]" in inside or "(" in inside or ")" in inside
                or "{" in inside or "}" in inside):
            return _split_unquoted(text)
    return _split_scanning(text)


def _split_scanning(text: str) -> list[tuple[int, str]]:
    """The general case, a character at a time: commas inside quotes do not count either."""
    parts: list[tuple[int, str]] = []
    depth = 0
    begin = 0
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append((begin, text[begin:i]))
            begin = i + 1
    parts.append((begin, text[begin:]))
    return parts


def _split_unquoted(text: str) -> list[tuple[int, str]]:
    """:func:`_split_top_level` without quotes: split on every comma, then glue back the pieces
    of a bracket that a comma cut (counting runs in C, which is what makes this path fast)."""
    parts: list[tuple[int, str]] = []
    offset = 0
    open_at = -1
    depth = 0
    square_only = "(" not in text and ")" not in text and "{" not in text and "}" not in text
    for piece in text.split(","):
        if depth:
            parts[open_at] = (parts[open_at][0], parts[open_at][1] + "," + piece)
        else:
            parts.append((offset, piece))
            open_at = len(parts) - 1
        offset += len(piece) + 1
        if square_only:  # the common case (list[...], dict[...], Literal[...]): two counts, not six
            if "[" in piece or "]" in piece:
                depth += piece.count("[") - piece.count("]")
        elif "[" in piece or "]" in piece or "(" in piece or ")" in piece or "{" in piece or "}" in piece:
            depth += (piece.count("[") + piece.count("(") + piece.count("{")
                      - piece.count("]") - piece.count(")") - piece.count("}"))
    return parts


def _find_name(spec: str, name: str, start: int) -> int:
    index = spec.find(name, start)
    return index if index >= 0 else start
