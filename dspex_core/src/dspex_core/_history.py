"""The LM calls this process made, for ``dspex.inspect_history(n)``, as DSPy keeps them.

DSPy records every LM call in a process-wide list (``dspy.clients.base_lm.GLOBAL_HISTORY``,
at most 10,000 entries, the oldest dropped first) and ``dspy.inspect_history(n)`` prints the
last ``n``. dspex keeps the same per process, whichever backend made the call: native's LM
clients record each completed call (a cache hit included, as DSPy's does), the dspy backend's
LMs record what dspy records. An entry holds the messages as sent, the completions, the model,
the request settings and the time; never credentials (secret settings and ``api_*`` keys are
dropped when the entry is made, as DSPy drops ``api_*``).

Recording costs about a microsecond per call (one ``deque.append`` of a tuple): the timestamp is
read from ``time.time()`` and formatted only when printed, the entry is copied only when read.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Mapping, TextIO

from dspex_core._credentials import SECRET_SETTINGS

__all__ = ["MAX_HISTORY_SIZE", "record_history", "history", "clear_history", "inspect_history"]

#: DSPy's bound on its global history (``dspy.clients.base_lm.MAX_HISTORY_SIZE``).
MAX_HISTORY_SIZE = 10_000

#: (time.time() or an ISO timestamp, messages, outputs, model, settings), oldest first. Appended
#: without a lock (``deque.append`` is atomic); readers copy it, trying again if a call was
#: recorded meanwhile.
_entries: deque[tuple[Any, Any, Any, Any, Any]] = deque(maxlen=MAX_HISTORY_SIZE)
_append = _entries.append
_now = time.time
#: setting names seen that are not credentials (``temperature``, ``n``, ...): a call whose
#: settings all are is recorded without looking at each name
_safe_keys: set[str] = set()


def _clean(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in SECRET_SETTINGS and not k.startswith("api_")}


def record_history(messages: Any, outputs: Any, model: Any = None, settings: Mapping[str, Any] | None = None,
                   timestamp: Any = None) -> None:
    """Record one LM call (a backend calls it once per completed call, on every call's path, so it
    costs one append): the messages as sent, the completions as the LM returned them (strings,
    or dicts with ``text``), the model and the request settings (kept as given, minus secret
    settings and ``api_*`` keys). ``timestamp`` is an ISO string when the backend has one (dspy's).
    The backend hands over fresh objects it does not change afterwards."""
    if settings and not _safe_keys.issuperset(settings):
        for key in settings:
            if key in SECRET_SETTINGS or key.startswith("api_"):
                settings = _clean(settings)
                break
            _safe_keys.add(key)
    _append((_now() if timestamp is None else timestamp, messages, outputs, model, settings))


def _as_dict(entry: tuple[Any, Any, Any, Any, Any]) -> dict[str, Any]:
    import datetime

    stamp, messages, outputs, model, settings = entry
    if isinstance(stamp, float):
        stamp = datetime.datetime.fromtimestamp(stamp).isoformat()
    return {"messages": messages, "outputs": list(outputs), "model": model, "kwargs": dict(settings or {}),
            "timestamp": stamp, "prompt": None}


def history(n: int | None = None) -> list[dict[str, Any]]:
    """The last ``n`` recorded calls (all when ``None``), oldest first, each a dict with DSPy's
    keys: ``messages``, ``outputs``, ``model``, ``kwargs`` (the request settings), ``timestamp``."""
    while True:
        try:
            entries = list(_entries)
            break
        except RuntimeError:  # a call was recorded while copying
            continue
    if n is not None:
        entries = entries[-n:] if n > 0 else []
    return [_as_dict(entry) for entry in entries]


def clear_history() -> None:
    """Forget every recorded call."""
    _entries.clear()


def inspect_history(n: int = 1, file: TextIO | None = None, *, colors: bool | None = None,
                    entries: list[Mapping[str, Any]] | None = None) -> None:
    """Print the last ``n`` LM calls as ``dspy.inspect_history(n)`` prints them: each call's time,
    its messages by role and the LM's response (and how many other completions it gave).

    ``file``: where to write (default stdout). ``colors``: ANSI colors as DSPy's; by default on
    only when writing to stdout and stdout is a terminal (DSPy colors whatever stdout is, and
    never a ``file``); ``colors=True`` gives DSPy's stdout text byte for byte. ``entries``: print
    these (dicts with :func:`history`'s keys, such as one LM object's own list) instead.
    """
    import sys

    from dspex_core._history_print import pretty_print_history

    if colors is None:
        colors = file is None and sys.stdout.isatty()
    shown = history(n) if entries is None else list(entries)[-n:] if n > 0 else []
    pretty_print_history(shown, n, file=file, colors=colors)
