"""Reading a reply's text as JSON the way ``json_repair.loads`` does, for the texts it treats
predictably.

DSPy reads every typed field, and the JSON adapter's whole reply, with ``json_repair``. We
reproduce it for valid JSON, Python-literal containers (``['a', 'b']``, ``{'k': 1}``,
``(1, 2)``), bare lists (``[apple, banana split, 3]``), truncated JSON (``[1, 2``), one such
list or object amid prose (``Literal['yes']``), an object holding only colons (``{:}``, empty to
json_repair) and an object after prose or inside a code fence;
anything else gives ``""``, json_repair's "nothing found", and DSPy's next step
(``ast.literal_eval``) follows as in DSPy. Free text with an opening bracket is a list or an
object to json_repair (:func:`reads_as_container`), which is all a union of scalars and ``str``
needs to know: it fails, as in DSPy. Texts that
json_repair mends by heuristics beyond these (the list it makes of free text for a ``list`` or
``Any`` field, a comment sign or a ``(`` before a bracket, more values or brackets after the
first, Python-only string escapes, adjacent string literals, which Python joins) are the
documented limit of the native adapters.
"""

from __future__ import annotations

from typing import Any


def loads_lenient(text: str) -> Any:
    """``json_repair.loads`` for the inputs it treats predictably: JSON, and Python-literal
    containers; ``""`` (json_repair's "nothing found") otherwise."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        pass
    stripped = text.strip()
    if stripped[:1] in ("[", "{", "("):
        import ast

        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, tuple) and len(value) == 1 and stripped[0] != "(":
            value = value[0]  # ``[1],``: a trailing comma after one value, which json_repair reads alone
        if isinstance(value, (list, tuple, dict, set, frozenset)):
            return _listify(value)
        if stripped[0] != "(":
            end = _value_end(stripped, 0)
            if end is not None and end < len(stripped):  # ``[1] and more``: the value, then prose
                return _amid_prose(stripped, 0, end)
        if stripped[0] == "[" and stripped[-1] == "]":
            return _bare_list(stripped[1:-1], json)
        if stripped[0] == "{" and stripped[-1] == "}" and not stripped[1:-1].replace(":", " ").strip():
            return {}  # ``{:}``, ``{ : }``: json_repair finds no key before a colon and skips it
        return _close_truncated(stripped, json)
    return _after_prose(text)


def _after_prose(text: str) -> Any:
    """json_repair's reading of prose around one list or object (``Literal['yes']``, ``The answer is
    ["red", "blue"].``): it skips the text before the first bracket, reads the value from there,
    and finds nothing more after it, so the value is what the bracketed text alone reads as. Only
    where that is sure: no ``#``, ``/`` or ``(`` before the bracket (:func:`reads_as_container`),
    a value whose brackets close (strings in either quote, escapes included), and after it no
    other bracket, parenthesis or comment sign (json_repair would read on and gather more values
    into a list). Otherwise ``""``, as before."""
    start = _container_start(text)
    if start is None:
        return ""
    return _amid_prose(text, start, _value_end(text, start))


def _amid_prose(text: str, start: int, end: int | None) -> Any:
    if end is None or any(c in text[end:] for c in "[]{}()#/"):
        return ""
    return loads_lenient(text[start:end])


def _value_end(text: str, start: int) -> int | None:
    """The index just past the list or object opening at ``start``, or ``None`` when its brackets
    do not close as they opened, or a string in it does not end."""
    stack: list[str] = []
    quote = None
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}":
            if stack.pop() != char:
                return None
            if not stack:
                return index + 1
    return None


def reads_as_container(text: str) -> bool:
    """Whether ``json_repair.loads`` surely reads a list or an object out of ``text`` (text that
    is not JSON): reading plain text, it skips to the first ``[`` or ``{`` and repairs from
    there, so ``"0["`` is ``[]``, ``"x {a"`` is ``{}`` and ``"'a' [b"`` is ``["b"]``. The
    exceptions answer ``False`` (not known): a ``#`` or ``/`` before that bracket starts a
    comment, a ``(`` may start json_repair's tuple reader. (Checked against
    json_repair on a few hundred thousand random texts: no text answered ``True`` is read as
    anything but a list or an object.)"""
    return _container_start(text) is not None


def _container_start(text: str) -> int | None:
    """Where json_repair starts reading the list or object it surely reads out of ``text`` (its
    first ``[`` or ``{``, with no ``#``, ``/`` or ``(`` before it), else ``None``."""
    cut = len(text)
    for bracket in "[{":
        index = text.find(bracket)
        if 0 <= index < cut:
            cut = index
    return cut if cut < len(text) and not any(c in "#/(" for c in text[:cut]) else None


def _close_truncated(text: str, json: Any) -> Any:
    """json_repair's completion of truncated JSON (``[1, 2`` -> ``[1, 2]``), or ``""``."""
    stack = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}":
            if not stack or stack.pop() != char:
                return ""
    if not stack:
        return ""
    body = text + ('"' if in_string else "")
    if not in_string:
        body = body.rstrip().rstrip(",")
    try:
        value = json.loads(body + "".join(reversed(stack)))
    except ValueError:
        return ""
    return value if isinstance(value, (list, dict)) else ""


#: Bare words json_repair reads as literals, in any letter case (``NULL``, ``True``, ``none``).
_WORDS = {"none": None, "null": None, "true": True, "false": False}


def _bare_list(body: str, json: Any) -> Any:
    """json_repair's reading of ``[apple, banana split, 3]``: unquoted items are strings."""
    if any(c in body for c in "[]{}()\"'"):
        return ""
    items = []
    for piece in body.split(","):
        piece = _item_start(piece.strip())
        if not piece:
            continue
        word = piece.lower()
        if word in _WORDS:
            items.append(_WORDS[word])
            continue
        try:
            items.append(json.loads(piece))
        except ValueError:
            items.append(piece)
    return items


def _item_start(piece: str) -> str:
    """``piece`` from where json_repair starts reading an item: it skips characters that can
    start neither a string (a letter) nor a number (an ASCII digit, ``-``, ``.``), so ``¼``,
    ``²`` or ``!`` alone make no item and ``!a`` is ``a``."""
    for index, char in enumerate(piece):
        if char.isalpha() or char in "0123456789-.":
            return piece[index:]
    return ""


def embedded_object(text: str) -> Any:
    """The JSON object json_repair finds after leading prose or a code fence, or ``None``."""
    import json

    start = text.find("{")
    bracket = text.find("[")
    if start < 0 or 0 <= bracket < start:
        return None  # json_repair would read an array first; DSPy then searches for braces
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(text, start)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_listify(v) for v in value]
    return value
