"""A short path for the common type texts (``list[str]``, ``dict[str, int]``, ``Literal['a', 'b']``,
``Optional[Person]``, ``int | None``, ``typing.List[int]``, ``tuple[int, ...]``).

:func:`dspex_core._types.parse_type` reads a type text with :mod:`ast` and evaluates the tree
(``_evaluate``). For a new text, most of that time is :mod:`ast`'s: compiling the text and walking
the tree. :func:`read_plain` reads the same texts with one regular expression and evaluates as it
goes, by the same rules as ``_evaluate`` (names, ``.attribute``, ``[...]`` with ``Optional`` and
``dict`` checked, ``|`` as ``Optional``/``Union``, constants). What it is not sure of (another
operator, a parenthesis, an escape in a string, a non-ASCII name, an unknown name, any exception)
it declines with :data:`NOT_PLAIN`, and the :mod:`ast` reading decides, and words the error: this
never raises, so every error is the reference's, at the same position.

``Literal`` of distinct strings (a label set, ``Literal['yes', 'no']``) is made without
``typing``'s own ``Literal[...]``, which dedupes its values and fills its cache on every new set:
the alias is a copy of one ``typing`` made, with the new values. The copy is checked against
``typing``'s own result once, on first use, and the short cut is not taken where it differs.
"""

from __future__ import annotations

import keyword
import typing
from typing import Any, Mapping

#: What :func:`read_plain` returns for a text it leaves to the :mod:`ast` reading.
NOT_PLAIN: Any = object()

#: Tokens of a type text, each a tuple (name, quoted string, number or '...', any other character),
#: blanks (spaces and tabs) between them skipped. Strings hold no backslash or newline; numbers are
#: decimal integers without leading zeros, not run into a name or a dot.
_TOKEN = (r"""[ \t]*(?:([A-Za-z_][A-Za-z0-9_]*)|('[^'\\\n]*'|"[^"\\\n]*")|((?:0|[1-9][0-9]*)(?![A-Za-z0-9_.])|\.\.\.)"""
          r"""|([^ \t]))""")


def _tokens(text: str) -> list[tuple[str, str, str, str]]:
    """The tokens of ``text`` (the expression is compiled on first use: ``import dspex_core`` stays light)."""
    global _tokens
    import re

    _tokens = re.compile(_TOKEN).findall
    return _tokens(text)


def _labels(text: str) -> tuple[str, ...] | None:
    """The strings of ``Literal['a', 'b', ...]`` (a label set: two or more, distinct, plain quoted
    strings), or ``None``; the commonest new type text, read without the token-by-token reading."""
    items = _label_items(text[8:])
    if len(items) < 2 or items[-1][1] != "]" or not _literal_shortcut():
        return None
    labels = []
    for quoted, end, rest in items:
        if rest or (end != "," and end != "]"):
            return None
        labels.append(quoted[1:-1])
    labels_ = tuple(labels)
    return labels_ if len(set(labels_)) == len(labels_) else None


def _label_items(text: str) -> list[tuple[str, str, str]]:
    """``(quoted string, ',' or ']' (then the end), the rest)`` of each item of a label set."""
    global _label_items
    import re

    _label_items = re.compile(r"""[ \t]*('[^'\\\n]*'|"[^"\\\n]*")[ \t]*(,|\]\Z)|([\s\S]+)""").findall
    return _label_items(text)


_CONSTANTS: dict[str, Any] = {"None": None, "True": True, "False": False}
_iskeyword = keyword.iskeyword
_NONE_TYPE = type(None)
_Optional = typing.Optional
_Union = typing.Union
_Literal = typing.Literal
#: Texts longer than this many tokens go to the ast reading (no real field type comes near).
_MAX_TOKENS = 200


class _Decline(Exception):
    """Not a text this reader vouches for."""


def read_plain(text: str, names: Mapping[str, Any], custom: Mapping[str, Any] | None = None) -> Any:
    """The type ``text`` stands for, evaluated against ``custom`` (which wins) and ``names``, or
    :data:`NOT_PLAIN`. ``text`` may have blanks around it, as a field's type text has."""
    text = text.strip()
    if text[:8] == "Literal[" and (custom is None or "Literal" not in custom) and names.get("Literal") is _Literal:
        labels = _labels(text)
        if labels is not None:
            return _literal_of(labels)
    tokens = _tokens(text)
    if not tokens or len(tokens) > _MAX_TOKENS:
        return NOT_PLAIN
    tokens.append(("", "", "", ""))  # the end, so that looking one ahead never fails
    try:
        value, at = _expression(tokens, 0, names, custom)
    except Exception:  # _Decline, or anything evaluating raised: the ast reading raises it again
        return NOT_PLAIN
    return value if at == len(tokens) - 1 else NOT_PLAIN


def _expression(tokens: list, at: int, names: Mapping[str, Any], custom: Mapping[str, Any] | None) -> tuple[Any, int]:
    """``primary ('|' primary)*``, left to right, as Python groups ``a | b | c``."""
    value, at = _primary(tokens, at, names, custom)
    while tokens[at][3] == "|":
        right, at = _primary(tokens, at + 1, names, custom)
        if right is None or right is _NONE_TYPE:
            value = _Optional[value]
        elif value is None or value is _NONE_TYPE:
            value = _Optional[right]
        else:
            value = _Union[value, right]
    return value, at


def _primary(tokens: list, at: int, names: Mapping[str, Any], custom: Mapping[str, Any] | None) -> tuple[Any, int]:
    """A name, string or number, then any ``.attribute`` and ``[arguments]``."""
    value = _atom(tokens[at], names, custom)
    at += 1
    while True:
        other = tokens[at][3]
        if other == "[":
            args = []
            while True:
                if tokens[at + 2][3] in _ARGUMENT_ENDS and not tokens[at + 1][3]:  # a lone name, string or number
                    args.append(_atom(tokens[at + 1], names, custom))
                    at += 2
                else:
                    arg, at = _expression(tokens, at + 1, names, custom)
                    args.append(arg)
                other = tokens[at][3]
                if other != ",":
                    break
            if other != "]":
                raise _Decline
            value = _subscript(value, tuple(args))
            at += 1
        elif other == ".":
            attribute = tokens[at + 1][0]
            if not attribute or attribute.startswith("_") or _iskeyword(attribute) or not hasattr(value, attribute):
                raise _Decline
            value = getattr(value, attribute)
            at += 2
        else:
            return value, at


_ARGUMENT_ENDS = frozenset({",", "]"})


def _atom(token: tuple, names: Mapping[str, Any], custom: Mapping[str, Any] | None) -> Any:
    name, string, number, _ = token
    if name:
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if _iskeyword(name):
            raise _Decline
        if custom is not None and name in custom:
            return custom[name]
        return names[name]  # an unknown name: KeyError, declined
    if string:
        return string[1:-1]
    if number:
        return Ellipsis if number == "..." else int(number)
    raise _Decline


def _subscript(base: Any, args: tuple) -> Any:
    """``base[args]`` as ``_types._evaluate`` makes it."""
    if base is _Optional:
        if len(args) != 1:
            raise _Decline
        return _Optional[args[0]]
    if base is dict and len(args) != 2:
        raise _Decline
    if base is _Literal and len(args) > 1 and _literal_shortcut() and all(type(a) is str for a in args) \
            and len(set(args)) == len(args):
        return _literal_of(args)
    return base[args if len(args) > 1 else args[0]]


#: ``[(alias type, its attributes)]`` of a Literal alias made by ``typing`` (of values nobody else
#: uses, read once, so that no later change to an alias ``typing`` caches reaches the copies), or
#: ``[None]`` where a copy would not be what ``typing`` makes.
_TEMPLATE: list = []


def _literal_shortcut() -> bool:
    if not _TEMPLATE:
        template = _Literal["dspex template a", "dspex template b"]
        _TEMPLATE.append((type(template), dict(vars(template))))
        try:
            made = _literal_of(("c", "d"))
            own = _Literal["c", "d"]
            ok = (type(made) is type(own) and vars(made) == vars(own) and made == _Literal["d", "c"]
                  and hash(made) == hash(own) and repr(made) == repr(own))
        except Exception:
            ok = False
        if not ok:
            _TEMPLATE[0] = None
    return _TEMPLATE[0] is not None


def _literal_of(values: tuple) -> Any:
    """``Literal[*values]`` for distinct strings: the template alias with other values."""
    cls, attributes = _TEMPLATE[0]
    alias = object.__new__(cls)
    state = alias.__dict__
    state.update(attributes)
    state["__args__"] = values
    return alias
