"""Comparisons and notebook readers the tests share (``from helpers import ...``: pytest
puts ``tests/`` on the path, as for ``checks_harness``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat

from rnn_lab import max_abs_error as _max_abs_error_of_arrays


def max_abs_error(a: object, b: object) -> float:
    """``max |a − b|`` over every entry, computed in float64.

    ``a`` and ``b`` are two arrays of one shape (NumPy arrays, tensors), or two sequences
    (tuples, lists) of such arrays side by side, such as a layer's output and its final
    states: the largest difference of any pair. Shapes and lengths must match.
    """
    both_sequences = isinstance(a, Sequence) and isinstance(b, Sequence)
    parts_a, parts_b = (a, b) if both_sequences else ((a,), (b,))
    if len(parts_a) != len(parts_b):
        raise ValueError(f"cannot compare {len(parts_a)} arrays with {len(parts_b)}")
    return max(_max_abs_error_of_arrays(p, q) for p, q in zip(parts_a, parts_b, strict=True))


#: The repository, and the chapters' folder in it.
REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, as nbformat 4."""
    return nbformat.read(path, as_version=4)


def cell_tags(cell) -> list[str]:
    """The tags of a notebook cell (none: an empty list)."""
    return cell.get("metadata", {}).get("tags", [])
