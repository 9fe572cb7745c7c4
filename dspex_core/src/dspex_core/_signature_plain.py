"""The short reading of a signature string: one regular expression finds every item and the arrow.

A signature's fields are ``_parse_plain(spec, custom_types) or _parse_checked(spec, custom_types)``
(:mod:`dspex_core._signature_grammar`): most signatures are plainly well formed and read here;
whatever this reading does not vouch for (an error, a non-ASCII name, parentheses in a type, ...)
is left to the reference reading, which also words every error. Field types are kept here with
their verdict (a type, or something the reference has to look at), per text and, with
``custom_types``, per what the text's names stand for.
"""

from __future__ import annotations

import functools
import keyword
from typing import Any

from dspex_core._fields import RESERVED_NAMES, Field
from dspex_core._signature_grammar import _TYPE_KINDS
from dspex_core._types import TypeParseError, custom_key, parse_type, parse_type_with


def _parse_plain(spec: str, custom_types: dict[str, Any] | None) -> tuple[dict[str, Field], dict[str, Field]] | None:
    """The fields of a signature that is plainly well formed, or ``None`` for the reference reading.

    It returns what :func:`~dspex_core._signature_grammar._parse_checked` returns or nothing at all: every item it accepts is one
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
    try:
        key = custom_key(text, custom_types)  # reads the text's names: a text that is no type is the reference's
    except TypeParseError:
        return _NOT_PLAIN
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
