"""The LM calls this process made, for ``dspex.inspect_history(n)``, as DSPy keeps them.

DSPy records every LM call in a process-wide list (``dspy.clients.base_lm.GLOBAL_HISTORY``,
at most 10,000 entries, the oldest dropped first) and ``dspy.inspect_history(n)`` prints the
last ``n``. dspex keeps the same per process, whichever backend made the call: native's LM
clients record each completed call (a cache hit included, as DSPy's does), the dspy backend's
LMs record what dspy records. An entry holds the messages as sent, the completions, the model,
the request settings and the time; never credentials (secret settings and ``api_*`` keys are
dropped when the entry is made, as DSPy drops ``api_*``).

Recording costs one ``deque.append`` of a tuple per call: the timestamp is read from
``time.time()`` and formatted only when printed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Mapping, TextIO

from dspex_core._credentials import SECRET_SETTINGS

__all__ = ["MAX_HISTORY_SIZE", "record_history", "history", "clear_history", "inspect_history"]

#: DSPy's bound on its global history (``dspy.clients.base_lm.MAX_HISTORY_SIZE``).
MAX_HISTORY_SIZE = 10_000

#: (time.time() or an ISO timestamp, messages, outputs, model, settings), oldest first
_entries: deque[tuple[Any, Any, Any, Any, Any]] = deque(maxlen=MAX_HISTORY_SIZE)
_lock = threading.Lock()


def _clean(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    if not settings:
        return {}
    return {k: v for k, v in settings.items() if k not in SECRET_SETTINGS and not k.startswith("api_")}


def record_history(messages: Any, outputs: Any, *, model: Any = None, settings: Mapping[str, Any] | None = None,
                   timestamp: Any = None) -> None:
    """Record one LM call (a backend calls it once per completed call): the messages as sent,
    the completions as the LM returned them (strings, or dicts with ``text``), the model and
    the request settings. ``timestamp`` is an ISO string when the backend has one (dspy's)."""
    entry = (time.time() if timestamp is None else timestamp, messages, list(outputs), model, _clean(settings))
    with _lock:
        _entries.append(entry)


def _as_dict(entry: tuple[Any, Any, Any, Any, Any]) -> dict[str, Any]:
    import datetime

    stamp, messages, outputs, model, settings = entry
    if isinstance(stamp, float):
        stamp = datetime.datetime.fromtimestamp(stamp).isoformat()
    return {"messages": messages, "outputs": outputs, "model": model, "kwargs": settings, "timestamp": stamp,
            "prompt": None}


def history(n: int | None = None) -> list[dict[str, Any]]:
    """The last ``n`` recorded calls (all when ``None``), oldest first, each a dict with DSPy's
    keys: ``messages``, ``outputs``, ``model``, ``kwargs`` (the request settings), ``timestamp``."""
    with _lock:
        entries = list(_entries)
    if n is not None:
        entries = entries[-n:] if n > 0 else []
    return [_as_dict(entry) for entry in entries]


def clear_history() -> None:
    """Forget every recorded call."""
    with _lock:
        _entries.clear()


def inspect_history(n: int = 1, file: TextIO | None = None, *, colors: bool | None = None) -> None:
    """Print the last ``n`` LM calls as ``dspy.inspect_history(n)`` prints them: each call's time,
    its messages by role and the LM's response (and how many other completions it gave).

    ``file``: where to write (default stdout). ``colors``: ANSI colors as DSPy's; by default on
    only when writing to stdout and stdout is a terminal (DSPy colors whatever stdout is, and
    never a ``file``); ``colors=True`` gives DSPy's stdout text byte for byte.
    """
    import sys

    from dspex_core._history_print import pretty_print_history

    if colors is None:
        colors = file is None and sys.stdout.isatty()
    pretty_print_history(history(n), n, file=file, colors=colors)
