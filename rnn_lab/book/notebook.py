"""What every chapter's first (hidden) cell does, and ``glue`` that also works
outside the book (Colab, a plain Jupyter), where myst-nb is not installed."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

BOOK_SEED = 0


def setup_notebook(seed: int = BOOK_SEED) -> None:
    """Quiet TensorFlow, seed NumPy/Python/TensorFlow, fix plot and print styles.

    Building the book twice must print the same numbers, so every source of
    randomness is seeded here, before any chapter code runs.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from ..keras_side.models import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    np.set_printoptions(precision=4, suppress=False, linewidth=100)
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 3.6),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "rnn-lab",
        }
    )
    from ..plots.alt_text import show_figures_with_alt_text
    from ..plots.palette import use_book_palette

    use_book_palette()
    show_figures_with_alt_text()  # every figure gets alt text describing what it shows


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue`` when building the book; elsewhere just show the value."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def glue_math(name: str, latex: str) -> None:
    """Glue an inline formula, for ``{glue:md}`name``` in the text: the numbers in it are
    computed, the layout is LaTeX."""
    from IPython.display import Markdown

    glue(name, Markdown(f"${latex}$"))


def table_markdown(headers: list[str], rows: list[list[Any]]) -> str:
    """Rows as a Markdown (GFM/MyST) table. Cells may hold Markdown (`code`, $math$), but a
    `|` is escaped and a line break becomes a space: either would end the cell or the row."""
    if not headers:
        raise ValueError("show_table needs at least one header")
    for number, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"row {number} has {len(row)} cells, expected {len(headers)}")

    def cell(value: Any) -> str:
        text = " ".join(str(value).split())
        return re.sub(r"(?<!\\)\|", r"\\|", text)

    def line(cells: list[Any]) -> str:
        return "| " + " | ".join(cell(value) for value in cells) + " |"

    return "\n".join([line(headers), "|" + "---|" * len(headers), *map(line, rows)])


def show_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Display rows as a Markdown table (rendered in Jupyter and in the book)."""
    from IPython.display import Markdown, display

    display(Markdown(table_markdown(headers, rows)))
