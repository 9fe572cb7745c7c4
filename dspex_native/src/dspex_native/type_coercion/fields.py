"""Coercing a set of named values against signature fields, collecting every problem.

A step reports all that is wrong with its values at once (one :class:`~dspex_core.InputError`
listing each field), so a caller fixes everything in one go rather than one field per run.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_native.type_coercion.rules import Mismatch, accepts_none, coerce, unsupported


def check_types(fields: Mapping[str, Any], where: str) -> None:
    """Refuse, at create time, field types the native rules cannot check."""
    from dspex_core.errors import CapabilityError

    for name, field in fields.items():
        problem = unsupported(field.annotation)
        if problem:
            raise CapabilityError(f"{where}: field {name!r} has the type {problem}, which the native backend "
                                  f"cannot check; use implementation='dspy'")


def coerce_fields(fields: Mapping[str, Any], values: Mapping[str, Any], kind: str) -> tuple[dict[str, Any], list[str]]:
    """``(converted values, problems)`` for ``fields``; a missing ``Optional`` field is ``None``."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, field in fields.items():
        annotation = field.annotation
        if name not in values:
            if accepts_none(annotation):
                out[name] = None
            else:
                problems.append(f"{name}: missing {kind} ({field.type_name})")
            continue
        try:
            out[name] = coerce(annotation, values[name], name)
        except Mismatch as exc:
            problems.append(str(exc))
    return out, problems


def problem_report(title: str, problems: list[str]) -> str:
    """``title`` and one line per problem."""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{title}: {len(problems)} {noun}\n" + "\n".join(f"  - {p}" for p in problems)
