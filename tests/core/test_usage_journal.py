"""The usage journal: a module call reads only the entries written since it started."""

from __future__ import annotations

from dspex_core import _usage_journal as journal


def _fresh():
    """A context of its own, so this test's journal starts empty."""
    import contextvars

    return contextvars.copy_context()


def test_since_reads_the_latest_entries_of_a_full_journal():
    def run():
        journal.current.set(None)
        for i in range(journal.LIMIT + 10):
            journal.write("m", {"i": i})
        mark = journal.writes
        journal.write("m", {"i": "a"})
        journal.write("n", {"i": "b"})
        return mark

    ctx = _fresh()
    mark = ctx.run(run)
    assert ctx.run(journal.since, mark) == [("m", {"i": "a"}), ("n", {"i": "b"})]
    assert ctx.run(journal.since, journal.writes) == []
    assert len(ctx.run(journal.since, mark - 5)) == 7


def test_an_entry_appended_late_is_still_found():
    """Numbers are taken before entries are appended: one taken after the mark may land before an
    older one (another thread's), and is still counted."""
    def run():
        journal.current.set(None)
        here = journal.here()
        mark = journal.writes
        here.entries.extend([(mark + 1, "m", {"late": False}), (mark - 1, "m", {"old": True})])
        return mark

    ctx = _fresh()
    mark = ctx.run(run)
    assert ctx.run(journal.since, mark) == [("m", {"late": False})]
