"""Named timeouts: ``dspex.configure(timeout_profiles={...})`` and ``timeout="batch"``.

A deployment thinks of timeouts by the kind of work, not by each call: an answer from a model
may take minutes, a stream longer, a batch an hour. A *profile* is a name for a number of
seconds (or ``None``: no limit), usable wherever dspex takes a ``timeout`` (an LM's setting, a
call's ``config``, a module call's ``timeout=``). The built-in profiles, DSPex's:

==============  =========  ==========================================================
``default``     2 min      for callers who want "the usual limit" by name
``inference``   10 min     every LM call that sets no ``timeout`` (LiteLLM's default)
``streaming``   30 min     a streamed call
``batch``       1 h        evaluations, maps and compiles given ``timeout="batch"``
==============  =========  ==========================================================

``configure(timeout_profiles={"inference": 30})`` changes one and keeps the others; a new name
adds a profile. This module holds only the rules; :mod:`dspex_core._lm_deadline` reads the
profiles in force when a call starts.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Mapping

from dspex_core.errors import ConfigError

#: The built-in profiles, in seconds.
DEFAULT_PROFILES: Mapping[str, float | None] = MappingProxyType(
    {"default": 120.0, "inference": 600.0, "streaming": 1800.0, "batch": 3600.0})
#: The profile of an LM call that sets no ``timeout``.
INFERENCE = "inference"


def _seconds(name: str, value: Any, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"timeout_profiles ({source}): {name!r} must be a positive number of seconds or None, "
                          f"got {value!r}")
    return float(value)


def check_profiles(value: Any, source: str) -> Mapping[str, float | None]:
    """The profiles in force after ``value`` (a mapping, or JSON text from ``DSPEX_TIMEOUT_PROFILES``)
    is laid over the built-in ones."""
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise ConfigError(f"timeout_profiles ({source}) is not valid JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise ConfigError(f"timeout_profiles ({source}) must map profile names to seconds, e.g. "
                          f'{{"inference": 300}}, got {value!r}')
    out = dict(DEFAULT_PROFILES)
    for name, seconds in value.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"timeout_profiles ({source}): profile names are non-empty strings, got {name!r}")
        out[name] = _seconds(name, seconds, source)
    return MappingProxyType(out)
