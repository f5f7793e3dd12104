"""The one helper every figure shares: draw on the caller's axes, or on a new figure."""

from __future__ import annotations

import matplotlib.pyplot as plt

#: The book's default figure size in inches (width, height): one text column.
FIGSIZE = (7.0, 3.6)


def new_axes(ax=None, figsize: tuple[float, float] = FIGSIZE):
    """``(fig, ax)``: ``ax``'s own figure if ``ax`` is given, else a new figure of
    ``figsize`` with one axes and matplotlib's constrained layout."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize, layout="constrained")
