"""DSPy's signature string grammar: ``"question, context: list[str] -> answer"``.

Exactly one ``->``; comma-separated Python identifiers on each side (a trailing comma is
allowed, as in Python parameter lists); an optional ``: type`` after each name (``str`` when
absent); no name twice, none on both sides, no keyword, no leading underscore, none of the
signature's own attribute names. Every mistake raises
:class:`~dspex_core.errors.SignatureError` pointing at the character and naming the rule.
tests/dspy/test_signature_vs_dspy.py checks that this accepts exactly what dspy accepts.

A signature's fields are ``_parse_plain(spec, custom_types) or _parse_checked(spec, custom_types)``:
most signatures are read by :func:`_parse_plain` (one regular expression finds every item and the
arrow in one pass); whatever it does not vouch for (an error, a non-ASCII name, parentheses in a
type, ...) is read by :func:`_parse_checked`, the reference, which also words every error.
"""

from __future__ import annotations

import functools
import keyword
import types
import typing
from typing import Any

from dspex_core._fields import RESERVED_NAMES, Field
from dspex_core._types import TypeParseError, custom_key, parse_type, parse_type_with
from dspex_core.errors import SignatureError

_isidentifier = str.isidentifier
_iskeyword = keyword.iskeyword



def _parse_plain(spec: str, custom_types: dict[str, Any] | None) -> tuple[dict[str, Field], dict[str, Field]] | None:
    """The fields of a signature that is plainly well formed, or ``None`` for the reference reading.

    It returns what :func:`_parse_checked` returns or nothing at all: every item it accepts is one
    the reference accepts and splits alike (tests/core/test_signature_grammar_paths.py draws specs
    to compare the two), and it raises nothing of its own, so every error keeps its position and
    rule. One regular expression finds all the items and the arrow in one pass."""
    if spec.count("->") != 1:
        return None
    inputs: dict[str, Field] = {}
    outputs: dict[str, Field] | None = None
    fields, kind = inputs, "input"
    for name, type_text, end, rest in _find_items(spec):
        if name:
            if name in _NOT_FIELD_NAMES or name in fields:
                return None
            if type_text:
                annotation = _plain_type(type_text) if custom_types is None else \
                    _plain_type_with(type_text, custom_types)
                if annotation is _NOT_PLAIN:
                    return None
                fields[name] = Field(name, kind, annotation, None, None, True)
            else:
                fields[name] = Field(name, kind, str, None, None, False)
        elif rest or end == ",":
            return None  # something that is not a plain item, or an empty one between commas
        # (no name before the arrow or the end: a blank side, or the blanks after a trailing comma)
        if end == "->":
            outputs = fields = {}
            kind = "output"
    if outputs is None:  # the one arrow was inside quotes
        return None
    for name in outputs:
        if name in inputs:
            return None
    return inputs, outputs


_NOT_PLAIN = object()
_parse_type_uncached = parse_type.__wrapped__


@functools.lru_cache(maxsize=4096)
def _plain_type(text: str) -> Any:
    """The annotation a field's type text stands for, or :data:`_NOT_PLAIN` when the reference
    reading has something to say about it (cached with the verdict, so a known type is one look-up)."""
    try:
        return _as_field_type(_parse_type_uncached(text))  # this cache is the one: not two entries per text
    except TypeParseError:
        return _NOT_PLAIN


def _plain_type_with(text: str, custom_types: dict[str, Any]) -> Any:
    """:func:`_plain_type` with custom names, cached per text and what its names stand for."""
    key = custom_key(text, custom_types)
    if key is None:  # no custom name in it
        return _plain_type(text)
    try:
        found = _WITH_CUSTOM.get(key, _NOT_PLAIN)
    except TypeError:  # an unhashable custom type: no cache
        return _custom_field_type(text, custom_types)
    if found is _NOT_PLAIN:
        found = _custom_field_type(text, custom_types)
        if len(_WITH_CUSTOM) >= 4096:
            _WITH_CUSTOM.clear()
        _WITH_CUSTOM[key] = found
    return found


_WITH_CUSTOM: dict[tuple, Any] = {}


def _custom_field_type(text: str, custom_types: dict[str, Any]) -> Any:
    try:
        return _as_field_type(parse_type_with(text, custom_types))
    except TypeParseError:
        return _NOT_PLAIN


def _as_field_type(annotation: Any) -> Any:
    if annotation is None:
        return _NONE_TYPE
    if type(annotation) is not type and not isinstance(annotation, _TYPE_KINDS):
        return _NOT_PLAIN  # a value, not a type
    return annotation


#: How deeply square brackets may nest in a type that :func:`_parse_plain` reads (deeper ones are
#: the reference's).
_PLAIN_NESTING = 4
_BLANKS = "[ \t\n]*"
_QUOTED = r"'[^'\\]*'" + "|" + r'"[^"\\]*"'
#: Runs of characters that are not brackets, quotes or backslashes (nor, at the top of a type,
#: commas or '-', which begins the arrow) alternate with quoted strings and bracketed parts: each
#: run is as long as it can be, so a failed match backtracks linearly ("unrolling the loop").
_INNER_RUN = r"""[^\[\](){}'"\\]*"""
_TOP_RUN = r"""[^,\-\[\](){}'"\\]*"""


def _bracketed(depth: int) -> str:
    part = _QUOTED + ("|" + _bracketed(depth - 1) if depth > 1 else "")
    return r"\[" + _INNER_RUN + "(?:(?:" + part + ")" + _INNER_RUN + r")*\]"


#: One item and what ends it: blanks, optionally an ASCII name that does not start with '_',
#: blanks and ':' with a type (no top-level comma, parenthesis, brace, backslash or '-'; not
#: empty), then ',', the arrow or the end. Anything else takes the rest of the signature (so
#: ``findall`` stops there) and sends it to the reference reading.
_ITEM = (_BLANKS + "(?:([A-Za-z][A-Za-z0-9_]*)" + _BLANKS
         + "(?::((?=[^,-])" + _TOP_RUN + "(?:(?:" + _QUOTED + "|" + _bracketed(_PLAIN_NESTING) + ")" + _TOP_RUN + ")*))?)?"
         + r"(,|->|\Z)|([\s\S]+)")


def _find_items(spec: str) -> list[tuple[str, str, str, str]]:
    """``(name, type text, what ends the item, the rest)`` of each item (the expression is compiled
    on first use, which keeps ``import dspex_core`` light)."""
    global _find_items
    import re

    _find_items = re.compile(_ITEM).findall
    return _find_items(spec)


_NOT_FIELD_NAMES = frozenset(keyword.kwlist) | RESERVED_NAMES
_NONE_TYPE = type(None)


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
