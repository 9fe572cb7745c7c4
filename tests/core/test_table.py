"""The CLI's plain-text tables (dspex_core.cli._table)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dspex_core.cli._table import render_table

words = st.lists(st.text("abcdefghij_", min_size=1, max_size=12), min_size=1, max_size=20)


def test_a_wrapped_column_folds_between_items_and_other_cells_stay_on_the_first_line():
    out = render_table(["name", "types", "error"], [["dspy", "predict, chain_of_thought, react, refine", "boom"],
                                                    ["x", "metrics", ""]], wrap={1: 20})
    assert out.splitlines() == [
        "name  types              error",
        "----  -----------------  -----",
        "dspy  predict,           boom",
        "      chain_of_thought,",
        "      react, refine",
        "x     metrics",
    ]


@given(words, st.integers(8, 40))
def test_wrapping_keeps_every_item_and_the_width(items, width):
    cell = ", ".join(items)
    out = render_table(["a", "b"], [["row", cell]], wrap={1: width})
    lines = out.splitlines()[2:]
    folded = " ".join(line[5:] for line in lines)  # "row" + two spaces, then the column
    assert folded.split() == cell.split()
    longest_item = max(len(i) + 1 for i in items)
    assert all(len(line[5:]) <= max(width, longest_item) for line in lines)
