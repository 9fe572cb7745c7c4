"""Values as JSON types, for what dspex prints or returns as JSON (``dspex run``, pipeline results)."""

from __future__ import annotations

from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` in JSON types: mappings, Examples/Predictions and pydantic models become dicts,
    sequences and sets become lists, anything else unknown becomes its ``str``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    from dspex_core._example import Example

    if isinstance(value, Example):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)  # pydantic models, without importing pydantic
    if callable(dump):
        try:
            return jsonable(dump(mode="json"))
        except Exception:  # noqa: BLE001 - a model that cannot dump itself is shown as text
            pass
    return str(value)
