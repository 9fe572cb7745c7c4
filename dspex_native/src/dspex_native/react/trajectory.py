"""The trajectory: every step's thought, tool, arguments and observation, as the LM reads it.

DSPy passes the trajectory to both predictors as one text input, made by the adapter's
``format_user_message_content`` on a signature whose inputs are the trajectory's keys
(``thought_0``, ``tool_name_0``, ``tool_args_0``, ``observation_0``, ...), all ``str``: one
``[[ ## key ## ]]`` section per key, values rendered as ``format_field_value`` renders them
(text as is, a list as numbered ``«blobs»``, dicts and lists as JSON, anything else as
``str``), the whole stripped at both ends; under DSPy's XMLAdapter each key is an
``<key>\nvalue\n</key>`` element instead (that adapter's ``format_user_message_content``). Tool results are arbitrary Python objects, so the
list and object cases follow DSPy's operations exactly, including the ``TypeError`` a list of
numbers raises there.

When the LM says the prompt does not fit (:class:`~dspex_core.errors.ContextWindowExceededError`),
DSPy drops the oldest step (its four keys) from the trajectory itself, not from a copy, and
tries again.
"""

from __future__ import annotations

from typing import Any

from dspex_native.adapters._values import dumps
from dspex_native.react.errors import CANNOT_TRUNCATE, context_window_error

#: The keys one step adds: thought, tool name, tool arguments, observation.
STEP_KEYS = 4
_INF = float("inf")


def format_trajectory(trajectory: dict[str, Any], adapter: str = "chat") -> str:
    """The trajectory as the ``trajectory`` input's text, in the form of ``adapter`` (DSPy formats
    it with the adapter in effect; the JSON adapter's is the chat form)."""
    if not trajectory:
        return ""
    if adapter == "xml":
        return "\n\n".join(f"<{key}>\n{value if type(value) is str else format_value(value)}\n</{key}>"
                           for key, value in trajectory.items())
    parts = [""]
    for key, value in trajectory.items():
        parts.append(f"[[ ## {key} ## ]]\n{value if type(value) is str else format_value(value)}")
    parts.append("")
    return "\n\n".join(parts).strip()


def format_value(value: Any) -> str:
    """DSPy's ``format_field_value`` for a ``str`` field."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return _numbered(value)
    data = json_mode(value)
    if isinstance(data, (dict, list)):
        return dumps(data)
    return str(data)


def json_mode(value: Any, nested: bool = False) -> Any:
    """pydantic's ``dump_python(value, mode="json", fallback=str)`` for what tools return: JSON
    values as they are (a non-finite float inside a container is ``null``), containers as lists
    and dicts, enums as their values, dates and times in ISO format (UTC as ``Z``), bytes as text,
    dataclasses and pydantic models as dicts, anything else as its ``str``."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if isinstance(value, _enum_type()):
        return json_mode(value.value, nested)
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if nested and (value != value or value in (_INF, -_INF)):
            return None
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_mode(item, True) for item in value]
    if isinstance(value, dict):
        return {_key(key): json_mode(item, True) for key, item in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, complex):
        text = str(value)
        return text[1:-1] if text.startswith("(") else text
    import datetime

    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        offset = value.utcoffset()
        return text[:-6] + "Z" if offset is not None and not offset and text.endswith("+00:00") else text
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    dump = getattr(value, "model_dump", None)
    if dump is not None and callable(dump) and not isinstance(value, type):
        try:
            return json_mode(dump(mode="json"), nested)
        except Exception:  # noqa: BLE001 - pydantic falls back to the text too
            return str(value)
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_mode(getattr(value, f.name), True) for f in dataclasses.fields(value)}
    return str(value)


def _enum_type() -> type:
    import enum

    return enum.Enum


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "None"
    return str(json_mode(key))


def _numbered(value: list) -> str:
    if len(value) == 0:
        return "N/A"
    if len(value) == 1:
        return _blob(value[0])
    return "\n".join([f"[{index + 1}] {_blob(item)}" for index, item in enumerate(value)])


def _blob(blob: Any) -> str:
    # The same operations as DSPy's ``_format_blob`` (it expects text): whatever they do with
    # another object (format it, or raise TypeError) happens here too.
    if "\n" not in blob and "«" not in blob and "»" not in blob:
        return f"«{blob}»"
    modified = blob.replace("\n", "\n    ")
    return f"«««\n    {modified}\n»»»"


def truncate(trajectory: dict[str, Any]) -> dict[str, Any]:
    """DSPy's ``truncate_trajectory``: drop the oldest step's keys, in place; a trajectory of one
    step cannot be shortened (:class:`ContextWindowExceededError`)."""
    keys = list(trajectory)
    if len(keys) <= STEP_KEYS:
        raise context_window_error(CANNOT_TRUNCATE)
    for key in keys[:STEP_KEYS]:
        trajectory.pop(key)
    return trajectory
