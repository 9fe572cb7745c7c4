"""Which LM calls made which prediction, at the cost of one integer read per module call.

Every paid LM call's usage entry is numbered (a process-wide counter, :data:`writes`) and written
in the journal of the thread it ran in, and in the journals up its chain: a journal made in a
worker thread points to the one of the context the thread was started from (dspex's executors
copy the caller's context), and an async module call keeps a journal of its own.

A synchronous module call reads the counter when it starts; when it ends, if the counter has not
moved (no paid LM call anywhere: a custom LM, cache hits), its usage is empty at once. Otherwise
its usage is the entries numbered after that start in its thread's journal: its own calls, those of
the modules it called (DSPy's roll-up) and those of the worker threads it started. Calls in one
thread nest, so nothing of a sibling call is ever counted.

Journals keep at most :data:`LIMIT` entries (the older half is dropped when full): a module call
that makes more paid LM calls than that in one thread has only the latest ones counted in its
prediction (``dspex.track_usage`` still counts them all).

Why not a ``ContextVar`` set and reset per module call: in a process with many context variables
set, that alone costs several hundred nanoseconds, more than the whole router.
"""

from __future__ import annotations

from contextvars import ContextVar
from threading import get_ident
from typing import Any

LIMIT = 4096
#: How far below a call's start number :func:`since` looks for entries appended late.
SLACK = 8

#: How many usage entries were written in this process (what a module call compares).
writes = 0


class Journal:
    """The numbered entries ``(number, model, usage)`` written in one thread or async call."""

    __slots__ = ("entries", "parent", "thread")

    def __init__(self, parent: "Journal | None", thread: int):
        self.entries: list[tuple[int, str, Any]] = []
        self.parent = parent
        self.thread = thread


current: ContextVar[Journal | None] = ContextVar("dspex_usage_journal", default=None)


def here() -> Journal:
    """This thread's journal in this context (made, and kept in the context, on first use):
    executors call it before copying the context they hand to worker threads."""
    journal = current.get()
    ident = get_ident()
    if journal is None or journal.thread != ident:
        journal = Journal(journal, ident)
        current.set(journal)  # stays for this context: a thread's journal, like a thread-local
    return journal


def write(model: str, entry: Any) -> None:
    """Number one entry and write it in this thread's journal and every one up its chain."""
    global writes
    writes += 1
    item = (writes, model, entry)
    journal: Journal | None = here()
    while journal is not None:
        entries = journal.entries
        entries.append(item)
        if len(entries) > LIMIT:
            del entries[: LIMIT // 2]
        journal = journal.parent


def since(number: int) -> list[tuple[str, Any]]:
    """The entries this thread's journal got after entry ``number`` (``(model, usage)`` pairs)."""
    journal = current.get()
    if journal is None or journal.thread != get_ident():
        return []
    entries = journal.entries
    # From the end: the entries after ``number`` are the latest ones, so a call reads its own few
    # and not the whole journal (up to LIMIT entries). Numbers are taken and appended by writers
    # that may run in other threads, so one taken just before ``number`` may land after a later
    # one: the scan goes on SLACK numbers past ``number`` before it stops.
    index = len(entries)
    floor = number - SLACK
    while index and entries[index - 1][0] > floor:
        index -= 1
    return [(model, entry) for n, model, entry in entries[index:] if n > number]


def entries_of(journal: Journal) -> list[tuple[str, Any]]:
    """Every entry of ``journal`` (an async call's own)."""
    return [(model, entry) for _, model, entry in journal.entries]
