"""`show_table` writes Markdown tables that render as tables, whatever the cells hold."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from rnn_lab.book.notebook import table_markdown


def rendered_cells(markdown: str) -> list[list[str]]:
    """The table as a Markdown parser with tables (as MyST) sees it: rows of cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows, row = [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    return rows


def test_a_header_with_pipes_stays_one_cell():
    markdown = table_markdown(["Keras y1", "max |Δ|"], [["+0.12345", "3.0e-08"]])
    assert rendered_cells(markdown) == [["Keras y1", "max |Δ|"], ["+0.12345", "3.0e-08"]]


@pytest.mark.parametrize(
    "value",
    ["a | b", "|x|", "already \\| escaped", "`code | with pipe`", "two\nlines", "$|h_t|$"],
)
def test_cells_keep_their_text_and_the_column_count(value):
    rows = rendered_cells(table_markdown(["name", "value"], [["cell", value], [value, 1.5]]))
    assert [len(row) for row in rows] == [2, 2, 2]
    expected = " ".join(value.split()).replace("\\|", "|")
    assert rows[1][1] == expected
    assert rows[2][0] == expected


def test_markdown_in_cells_is_kept():
    markdown = table_markdown(["setting", "error"], [["`return_sequences=True`", "1e-07"]])
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<code>return_sequences=True</code>" in html


def test_ragged_rows_are_refused():
    with pytest.raises(ValueError, match="row 1 has 1 cells, expected 2"):
        table_markdown(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="at least one header"):
        table_markdown([], [])
