"""The JSON text DSPy's ``Refine`` shows the LM: ``orjson.dumps(recursive_mask(v), option=OPT_INDENT_2)``.

``Refine`` writes the program's inputs, trajectory, outputs, the threshold, the reward and the
module names as orjson text (two-space indentation) after replacing what orjson cannot write by
``"<non-serializable: TypeName>"``. The advice prompt must be byte-identical, so this module
writes exactly what orjson 3 writes, without orjson:

* ``str`` and its subclasses; control characters as ``\\b \\t \\n \\f \\r`` or ``\\u00xx``, nothing
  else escaped (non-ASCII stays as it is); a lone surrogate cannot be written;
* ``int`` (and subclasses, ``bool`` as ``true``/``false``) within 64 bits; ``float`` (not
  subclasses) as its shortest repr, except that exponents from -5 are written out in full and
  smaller ones lose their zero padding (``0.00001``, ``1e-7``); NaN and infinities as ``null``;
* ``dict`` (and subclasses) with keys of type ``str`` exactly, ``list`` (and subclasses), plain
  ``tuple``; dataclass instances as objects of their fields; ``Enum`` members as their value;
  ``datetime``/``date``/``time`` in ISO format; ``UUID`` as text.

Anything else raises ``TypeError`` with orjson's message, which :func:`mask` relies on.
"""

from __future__ import annotations

import re
import sys
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPECIAL = re.compile('[\x00-\x1f"\\\\\ud800-\udfff]')  # either of the two: the common text has neither
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1
_MAX_DEPTH = 254  # orjson refuses deeper nesting ("Recursion limit reached")
_INF = float("inf")


def _escape(match: re.Match) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _string(text: str) -> str:
    if _SPECIAL.search(text) is None:
        return f'"{text}"'
    if _SURROGATE.search(text) is not None:
        raise TypeError("str is not valid UTF-8: surrogates not allowed")
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _float(value: float) -> str:
    if value != value or value == _INF or value == -_INF:
        return "null"
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power > 0:
        return text
    if power >= -5:  # written out: 1.5e-05 -> 0.000015
        sign = "-" if mantissa.startswith("-") else ""
        digits = mantissa.lstrip("-").replace(".", "")
        return f"{sign}0.{'0' * (-power - 1)}{digits}"
    return f"{mantissa}e{power}"


def _other(value: Any) -> Any:
    """The JSON-writable value orjson writes for a dataclass, enum, date/time or UUID, or raise."""
    kind = type(value)
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is not None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    enum = sys.modules.get("enum")
    if enum is not None and isinstance(value, enum.Enum):
        return value.value
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(value, (datetime.date, datetime.time)):
        if isinstance(value, datetime.time) and value.tzinfo is not None:
            raise TypeError("datetime.time must not have tzinfo set")
        return value.isoformat()
    uuid = sys.modules.get("uuid")
    if uuid is not None and isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Type is not JSON serializable: {kind.__name__}")


def _write(value: Any, depth: int, out: list[str]) -> None:
    kind = type(value)
    if kind is str or isinstance(value, str):
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is float:
        out.append(_float(value))
    elif isinstance(value, int):
        number = int(value)
        if number < _INT_MIN or number > _INT_MAX:
            raise TypeError("Integer exceeds 64-bit range")
        out.append(str(number))
    elif isinstance(value, dict):
        _container(out, depth, "{", "}", value.items(), True)
    elif isinstance(value, list) or kind is tuple:
        _container(out, depth, "[", "]", value, False)
    else:
        _write(_other(value), depth, out)


def _container(out: list[str], depth: int, opening: str, closing: str, items: Any, keyed: bool) -> None:
    if depth >= _MAX_DEPTH:
        raise TypeError("Recursion limit reached")
    inner = "\n" + "  " * (depth + 1)
    out.append(opening)
    empty = True
    for item in items:
        out.append(inner if empty else "," + inner)
        empty = False
        if keyed:
            key, item = item
            if type(key) is not str:
                raise TypeError("Dict key must be str")
            out.append(_string(key) + ": ")
        _write(item, depth + 1, out)
    if not empty:
        out.append("\n" + "  " * depth)
    out.append(closing)


def dumps(value: Any) -> str:
    """``orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()``; ``TypeError`` where orjson fails.
    (One pass appending to a list: several times faster than the standard library's indenting
    encoder, which is pure Python once ``indent`` is set.)"""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def dumps_masked(value: Any) -> str:
    """``dumps(mask(value))``, writing ``value`` once when nothing in it needs masking (the usual case)."""
    try:
        return dumps(value)
    except TypeError:
        return dumps(mask(value))


def mask(value: Any) -> Any:
    """DSPy's ``recursive_mask``: ``value`` if it can be written, else its dicts, lists and tuples
    with what cannot be written replaced by ``"<non-serializable: TypeName>"`` (keys are kept)."""
    try:
        dumps(value)
        return value
    except TypeError:
        pass
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, tuple):
        return tuple(mask(item) for item in value)
    return f"<non-serializable: {type(value).__name__}>"
