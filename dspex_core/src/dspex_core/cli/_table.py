"""Plain-text tables for the command line (no dependency, stable for tests)."""

from __future__ import annotations

from typing import Mapping, Sequence


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *,
                 wrap: Mapping[int, int] | None = None) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header.

    ``wrap={column: width}`` folds long cells of those columns onto continuation lines (at
    spaces, so a comma-separated list breaks between items); the row's other cells stay on
    its first line.
    """
    if wrap:
        rows = _folded(rows, wrap)
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def _folded(rows: Sequence[Sequence[str]], wrap: Mapping[int, int]) -> list[list[str]]:
    """Each row as one or more lines: wrapped columns spread down, the others on the first."""
    import textwrap

    out: list[list[str]] = []
    for row in rows:
        columns = [textwrap.wrap(cell, wrap[i], break_long_words=False, break_on_hyphens=False) or [""]
                   if i in wrap else [cell] for i, cell in enumerate(row)]
        depth = max(len(lines) for lines in columns)
        out.extend([lines[n] if n < len(lines) else "" for lines in columns] for n in range(depth))
    return out
