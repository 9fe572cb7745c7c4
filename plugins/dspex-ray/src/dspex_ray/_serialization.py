"""Checking, before any work starts, that what travels by Ray's serialization can.

The module itself travels as data (its saved state); the user's own objects do not have that
form: a metric, tools and other create options, a custom LM object, the items. Ray serializes
them with cloudpickle, which fails on a lock, an open client or file, a generator. Such a
failure inside Ray surfaces late and far from its cause, so each is pickled here first, and one
that cannot be is an :class:`~dspex_core.errors.InputError` naming it (and, where Ray can tell,
the object inside it that is the problem).
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Iterable

from dspex_core.errors import InputError


def _culprits(obj: Any, name: str) -> str:
    """What inside ``obj`` cannot be serialized, as Ray's inspector names it (or ``""``)."""
    try:
        from ray.util import inspect_serializability

        with contextlib.redirect_stdout(io.StringIO()):
            _, failures = inspect_serializability(obj, name=name)
    except Exception:  # noqa: BLE001 - the inspector is a hint; the error is raised anyway
        return ""
    names = sorted({f"{'.'.join(map(str, getattr(failure, 'path', ()) or ())) or name} "
                    f"({type(failure.obj).__name__})" for failure in failures or ()})
    return f"; the part that cannot be: {', '.join(names)}" if names else ""


def check(parts: Iterable[tuple[str, Any]]) -> None:
    """Pickle each ``(what, object)`` as Ray would; raise naming the first that cannot be."""
    from ray import cloudpickle

    for what, obj in parts:
        try:
            cloudpickle.dumps(obj)
        except Exception as exc:  # noqa: BLE001 - any pickling failure
            raise InputError(f"{what} cannot be sent to Ray workers: {type(exc).__name__}: {exc}"
                             f"{_culprits(obj, what)}. Objects that hold a lock, an open client or file cannot "
                             f"travel; create them inside the function instead") from None
