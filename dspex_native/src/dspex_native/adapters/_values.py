"""Rendering values into prompts exactly as DSPy's ``format_field_value`` does.

Strings go in as they are; a list given to a ``str`` field becomes DSPy's numbered list of
``«blobs»``; lists and dicts become JSON (``ensure_ascii=False``); other scalars use ``str()``
of their JSON form. ``jsonable`` mirrors pydantic's ``dump_python(mode="json", fallback=str)``
for the values programs actually pass (containers, scalars, bytes, Enum members, Examples); a
pydantic model instance is dumped by pydantic itself (it is already imported where such a value
exists), and so is a value of any other type (``datetime``, ``Decimal``, ``UUID``, ``Path``, ...),
when pydantic is installed: DSPy's ``serialize_for_json`` is pydantic's dump, and its string form
when pydantic cannot dump the value. Without pydantic such a value is its string form.
"""

from __future__ import annotations

import enum
import sys
from typing import Any

_INF = float("inf")


def jsonable(value: Any, nested: bool = False) -> Any:
    """pydantic's JSON-mode dump of ``value`` (tuples and sets become lists, keys strings)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if nested and (value != value or value in (_INF, -_INF)):
            return None  # pydantic writes inf/nan inside containers as null
        return value
    if kind is list or kind is tuple or isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, True) for v in value]
    if isinstance(value, dict):
        return {_key(k): jsonable(v, True) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, enum.Enum):
        return jsonable(value.value, nested)  # pydantic writes a member as its value
    if isinstance(value, (int, float, str)):
        return value
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        from dspex_native.adapters._types import type_adapter

        return type_adapter(type(value)).dump_python(value, mode="json", fallback=str)
    to_dict = getattr(value, "toDict", None)
    if to_dict is not None and callable(to_dict):
        return jsonable(to_dict(), nested)
    return _dumped_by_pydantic(value)


#: value types pydantic cannot dump (their string form is used): asked once each
_NOT_DUMPED: set[type] = set()


def _dumped_by_pydantic(value: Any) -> Any:
    """DSPy's ``serialize_for_json`` of a value of another type: pydantic's JSON-mode dump (a
    ``datetime`` as ISO text, a ``Decimal`` as text, ...), else its string form."""
    kind = type(value)
    if kind in _NOT_DUMPED:
        return str(value)
    from dspex_native.adapters._types import type_adapter

    try:
        adapter = type_adapter(kind)
    except Exception:  # pydantic is not installed, or has no schema for this type
        if len(_NOT_DUMPED) < 1024:
            _NOT_DUMPED.add(kind)
        return str(value)
    try:
        return adapter.dump_python(value, mode="json", fallback=str)
    except Exception:
        return str(value)


def _key(key: Any) -> Any:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return "true" if key is True else "false" if key is False else "None"
    return str(key)


def dumps(value: Any, indent: int | None = None) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent)


def format_value(value: Any, annotation: Any) -> str:
    """DSPy's ``format_field_value`` (text form)."""
    kind = type(value)
    if kind is str:
        return value
    if isinstance(value, list) and annotation is str:
        return _numbered_list(value)
    data = jsonable(value)
    if isinstance(data, (dict, list)):
        return dumps(data)
    return str(data)


def _numbered_list(value: list) -> str:
    if not value:
        return "N/A"
    if len(value) == 1:
        return _blob(value[0])
    return "\n".join(f"[{i}] {_blob(item)}" for i, item in enumerate(value, 1))


def _blob(blob: Any) -> str:
    if type(blob) is not str and not isinstance(blob, str):
        from dspex_core.errors import InputError

        # DSPy fails here too (with a TypeError): it renders lists in str fields as text blobs.
        raise InputError(f"a list given to a str field must hold strings (DSPy renders it as a numbered "
                         f"list of texts); it holds {type(blob).__name__} {blob!r}")
    if "\n" not in blob and "«" not in blob and "»" not in blob:
        return f"«{blob}»"
    return "«««\n    " + blob.replace("\n", "\n    ") + "\n»»»"
