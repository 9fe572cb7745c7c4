"""A retriever call's inputs, checked before anything is sent (the dspy backend's words)."""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError


def positive_k(k: Any) -> int:
    """``k`` if it is a positive integer (not a bool), else an :class:`InputError`."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    return k


def query_and_k(module_type: str, inputs: Mapping[str, Any]) -> tuple[str, int | None]:
    """The call's ``query`` (a string) and ``k`` (``None`` when not given), checked."""
    unknown = sorted(set(inputs) - {"query", "k"})
    if unknown:
        raise InputError(f"{module_type} takes query= and k=, not {', '.join(map(repr, unknown))}")
    query = inputs.get("query")
    if not isinstance(query, str):
        raise InputError(f"{module_type} needs query= (a string), got {query!r}")
    k = inputs.get("k")
    return query, None if k is None else positive_k(k)


def no_options(module_type: str, options: Mapping[str, Any], allowed: frozenset[str] = frozenset()) -> None:
    """Refuse options outside ``allowed``, naming them and the accepted ones."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r} on the native "
                         f"backend; accepted: {', '.join(sorted(allowed)) or 'none'}")
