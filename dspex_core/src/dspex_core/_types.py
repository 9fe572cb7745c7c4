"""Field types written in signature strings (``int``, ``list[str]``, ``Literal['a', 'b']``, ...).

A type string is parsed with :mod:`ast` and evaluated against a closed namespace, never with
``eval``: only builtin scalar and container types, the public names of :mod:`typing`, and
names the caller passes as ``custom_types`` resolve. Results are cached per string, because
the same few annotations appear again and again.
"""

from __future__ import annotations

import collections.abc
import functools
import types
import typing
from itertools import repeat
from typing import Any, Mapping

from dspex_core._plain_types import NOT_PLAIN, read_plain

_BUILTIN_TYPES: dict[str, Any] = {
    t.__name__: t
    for t in (int, str, float, bool, list, tuple, dict, set, frozenset, complex, bytes, bytearray)
}
_NAMES: dict[str, Any] = {name: getattr(typing, name) for name in typing.__all__}
_NAMES.update(_BUILTIN_TYPES)
_NAMES["NoneType"] = type(None)
_NAMES["None"] = None
_NAMES["typing"] = typing  # ``typing.List[int]``, as DSPy accepts
_LITERAL = type(typing.Literal["a"])


class TypeParseError(ValueError):
    """A type annotation could not be understood; ``offset`` is relative to the annotation."""

    def __init__(self, message: str, offset: int = 0):
        self.offset = offset
        super().__init__(message)


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> Any:
    """Return the Python type an annotation string names (cached; no custom names)."""
    found = _plain(text, None)
    if found is not NOT_PLAIN:
        return found
    node, lead, _ = _compiled(text)
    return _checked(node, _NAMES, lead)


def _plain(text: str, custom: Mapping[str, Any] | None) -> Any:
    """The short reading of a common type text (:mod:`dspex_core._plain_types`), checked as the
    ast reading checks its result; :data:`NOT_PLAIN` leaves the text (and any error) to the ast
    reading."""
    found = read_plain(text, _NAMES, custom)
    if found is not NOT_PLAIN and type(found) is not _LITERAL:  # a Literal holds values, nothing to check
        try:
            check_annotation(found)
        except TypeParseError:
            return NOT_PLAIN
    return found


def parse_type_with(text: str, custom_types: Mapping[str, Any] | None) -> Any:
    """Like :func:`parse_type`, with extra names (``{"MyModel": MyModel}``) in scope; they win over
    the builtin and ``typing`` names.

    Cached too, per text and the objects its names stand for, so that re-making a signature with
    the same custom types (or class-based signatures whose annotations are strings, resolved in
    their module) parses nothing twice; ``custom_types`` itself is only read."""
    if not custom_types:
        return parse_type(text)
    key = custom_key(text, custom_types)
    if key is None:
        return parse_type(text)
    try:
        found = _WITH_CUSTOM.get(key, _MISSING)
    except TypeError:  # a custom name stands for an unhashable object: evaluate without the cache
        return _with_custom(text, _used(_names_in(text), key[1]))
    if found is _MISSING:
        found = _with_custom(text, _used(_names_in(text), key[1]))
        if len(_WITH_CUSTOM) >= 4096:
            _WITH_CUSTOM.clear()
        _WITH_CUSTOM[key] = found
    return found


def custom_key(text: str, custom_types: Mapping[str, Any]) -> tuple | None:
    """What the type ``text`` means with ``custom_types`` depends on: ``(text, what each of its
    names stands for among them)``, or ``None`` when none of its names is a custom one (then it
    means what :func:`parse_type` says). A key for caches of results derived from the type."""
    names = _names_in(text)
    if len(names) == 1:  # ``Person``
        value = custom_types.get(names[0], _MISSING)
        return None if value is _MISSING else (text, (value,))
    if custom_types.keys().isdisjoint(names):  # ``tuple[int, str]`` among {"Person": ...}
        return None
    return (text, tuple(map(custom_types.get, names, _ALWAYS_MISSING)))  # get(name, _MISSING) each, in C


def _used(names: tuple[str, ...], values: tuple) -> dict[str, Any]:
    return {name: value for name, value in zip(names, values) if value is not _MISSING}


def _with_custom(text: str, used: dict[str, Any]) -> Any:
    found = _plain(text, used)
    if found is NOT_PLAIN:
        node, lead, _ = _compiled(text)
        found = _checked(node, {**_NAMES, **used}, lead)
    return found


@functools.lru_cache(maxsize=4096)
def _names_in(text: str) -> tuple[str, ...]:
    """Every name a type text may use (each once, in order): its identifiers, read by a regular
    expression; those inside quotes or after a dot too, which only makes a cache key more exact.
    A non-ASCII text is read by :mod:`ast`, which normalizes identifiers (NFKC) as Python does."""
    if not text.isascii():
        return _compiled(text)[2]
    return tuple(dict.fromkeys(_identifiers(text)))


def _identifiers(text: str) -> list[str]:
    global _identifiers
    import re  # compiled on first use: `import dspex_core` stays light

    _identifiers = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").findall
    return _identifiers(text)


_MISSING = object()
_ALWAYS_MISSING = repeat(_MISSING)  # endless; map() stops with the names
_WITH_CUSTOM: dict[tuple, Any] = {}


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> tuple[Any, int, tuple[str, ...]]:
    """``(expression node, offset of its first character, the names it uses)`` of an annotation
    string (cached: parsing is most of the cost of a type)."""
    import ast  # only typed fields need it; keeps `import dspex_core` light

    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if not stripped:
        raise TypeParseError("a type is missing after ':'", lead)
    try:
        node = ast.parse(stripped, mode="eval").body
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        raise TypeParseError(f"the type {stripped!r} is not valid Python syntax", lead + offset) from None
    names = tuple(dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name)))
    return node, lead, names


def _checked(node: Any, names: Mapping[str, Any], lead: int) -> Any:
    annotation = _evaluate(node, names, lead)
    check_annotation(annotation, lead)
    return annotation


#: How deeply a field type may nest (``list[list[...]]``): DSPy's pydantic models stop with a
#: ``RecursionError`` somewhere below 200 levels, and no real signature comes near this.
MAX_TYPE_DEPTH = 100
_ONE_ARGUMENT = (list, set, frozenset)


def check_annotation(annotation: Any, offset: int = 0, depth: int = 0) -> None:
    """Raise :class:`TypeParseError` for a type no backend can use, whether written in a string or
    as a class-based signature's annotation, so that every backend refuses it alike (before any
    backend sees it): ``list[int, str]`` (Python does not check builtin generics' arity),
    ``...`` anywhere but ``tuple[X, ...]`` or ``Callable[..., R]``, and nesting deeper than
    :data:`MAX_TYPE_DEPTH`."""
    if depth > MAX_TYPE_DEPTH:
        raise TypeParseError(f"the type nests more than {MAX_TYPE_DEPTH} levels deep", offset)
    if type(annotation) is type:  # a plain class (int, str, a user's class): nothing inside to check
        return
    if annotation is Ellipsis:
        raise TypeParseError("'...' is only allowed as tuple[X, ...] or Callable[..., R]", offset)
    origin = typing.get_origin(annotation)
    if origin is None or origin is typing.Literal:
        return
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        args = args[:1]  # the rest is metadata, not types
    elif origin in _ONE_ARGUMENT and len(args) != 1:
        raise TypeParseError(f"invalid type arguments: {origin.__name__} takes exactly one type argument, "
                             f"got {len(args)}", offset)
    elif origin is dict and len(args) != 2:
        raise TypeParseError(f"invalid type arguments: dict takes exactly two type arguments (keys, values), "
                             f"got {len(args)}", offset)
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        args = args[:1]
    elif origin is collections.abc.Callable and args and args[0] is Ellipsis:
        args = args[1:]
    for arg in args:
        if isinstance(arg, list):  # Callable[[A, B], R]'s parameters
            for item in arg:
                check_annotation(item, offset, depth + 1)
        else:
            check_annotation(arg, offset, depth + 1)


def _evaluate(node: Any, names: dict[str, Any], lead: int) -> Any:
    import ast

    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise TypeParseError(
            f"unknown type {node.id!r} (known: builtin types, typing names, or pass custom_types=)",
            lead + node.col_offset,
        )
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute):
        base = _evaluate(node.value, names, lead)
        if hasattr(base, node.attr) and not node.attr.startswith("_"):
            return getattr(base, node.attr)
        raise TypeParseError(f"unknown attribute {node.attr!r}", lead + node.col_offset)
    if isinstance(node, ast.Subscript):
        base = _evaluate(node.value, names, lead)
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = tuple(_evaluate(e, names, lead) for e in elts)
        try:
            if base is typing.Optional:
                if len(args) != 1:
                    raise TypeError("Optional takes exactly one type argument")
                return typing.Optional[args[0]]
            if base is dict and len(args) != 2:
                raise TypeError(f"dict takes exactly two type arguments (keys, values), got {len(args)}")
            return base[args if len(args) > 1 else args[0]]
        except TypeError as exc:
            raise TypeParseError(f"invalid type arguments: {exc}", lead + node.col_offset) from None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left = _evaluate(node.left, names, lead)
        right = _evaluate(node.right, names, lead)
        if right is None or right is type(None):
            return typing.Optional[left]
        if left is None or left is type(None):
            return typing.Optional[right]
        return typing.Union[left, right]
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(e, names, lead) for e in node.elts)
    raise TypeParseError(
        f"unsupported syntax in a type annotation ({type(node).__name__}); use a class-based signature",
        lead + getattr(node, "col_offset", 0),
    )


def type_name(annotation: Any) -> str:
    """A readable name for a type: ``str``, ``list[str]``, ``Literal['a', 'b']``, ``Optional[int]``."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1 and len(args) == 2:
            return f"Optional[{type_name(non_none[0])}]"
        return f"Union[{', '.join(type_name(a) for a in args)}]"
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(type_name(a) for a in args)}]" if args else base
    if annotation is typing.Any:
        return "Any"
    return getattr(annotation, "__name__", str(annotation))


_NONE_TYPE = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)


def allows_none(annotation: Any) -> bool:
    """Whether ``annotation`` admits ``None`` (``Optional[str]``, ``str | None``, ``None``), as DSPy's
    ``annotation_allows_none`` decides: a missing output of such a type parses to ``None``.

    ``Any`` does not count (DSPy's rule); a check that accepts ``None`` for ``Any`` says so itself.
    """
    if annotation is None or annotation is _NONE_TYPE:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        return bool(args) and allows_none(args[0])
    if origin in _UNION_ORIGINS:
        return any(allows_none(a) for a in typing.get_args(annotation))
    return False
