"""What every figure shares: draw on the caller's axes or on a new figure, and mark machine
epsilon the same way everywhere."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from ..tolerances import machine_epsilon

#: The book's default figure size in inches (width, height): one text column.
FIGSIZE = (7.0, 3.6)


def new_axes(ax=None, figsize: tuple[float, float] = FIGSIZE):
    """``(fig, ax)``: ``ax``'s own figure if ``ax`` is given, else a new figure of
    ``figsize`` with one axes and matplotlib's constrained layout."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize, layout="constrained")


def epsilon_line(ax, dtype: Any, **line: Any) -> float:
    """Draw ``dtype``'s machine epsilon ``ε`` across ``ax`` as the book's dashed grey line
    (the scale below which two results differ only by rounding) and return ``ε``. ``line``
    (a ``label``, say) goes to ``axhline``."""
    eps = machine_epsilon(dtype)
    ax.axhline(eps, color="0.3", linestyle="--", linewidth=1, **line)
    return eps
